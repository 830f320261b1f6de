"""The integration_tests dbt project, built once per test session and copied for each test.

``dbt deps`` and ``dbt build`` run once, in a temporary copy of integration_tests whose package
entry points back at this repository. Each test that asks for ``dbt_env`` gets its own copy of
that built project and a fresh copy of its DuckDB file (a copy takes milliseconds, a build
seconds), and the environment a dbt or dbt-clarify process needs, already set in this process.

The DuckDB file sits at one path for the whole session, refreshed for each test: the path is
part of the profile, and dbt re-parses a project from scratch (seconds) when the profile
changes, but only partially (under a second) when it does not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dbt_clarify.dbt import DbtProject, ProjectOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_TESTS = REPO_ROOT / "integration_tests"
DUCKDB_FILE = "integration_tests.duckdb"
_NOT_COPIED = shutil.ignore_patterns(
    "target", "dbt_packages", "logs", "package-lock.yml", "*.duckdb", "*.duckdb.wal"
)


def dbt_environment(project_dir: Path, duckdb_path: Path) -> dict[str, str]:
    """The variables that point dbt at a copy of integration_tests and a DuckDB file."""
    return {
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_CLARIFY_DUCKDB_PATH": str(duckdb_path),
        "DBT_CLARIFY_PACKAGE_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(args: Sequence[str], project_dir: Path, duckdb_path: Path) -> str:
    """Run the dbt command line on a project copy; fail the test with dbt's output if it fails."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", *args, "--project-dir", str(project_dir)]
    completed = subprocess.run(
        command,
        cwd=project_dir,
        env={**os.environ, **dbt_environment(project_dir, duckdb_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"`dbt {' '.join(args)}` failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


@dataclass(frozen=True)
class BuiltProject:
    """integration_tests after one `dbt build`, and where each test's DuckDB file goes."""

    project_dir: Path
    built_duckdb: Path
    """The DuckDB file as the build left it; never opened by tests."""
    duckdb_path: Path
    """The path every test's copy of the DuckDB file is written to."""


@dataclass(frozen=True)
class DbtEnv:
    """One test's own built copy of integration_tests."""

    project_dir: Path
    duckdb_path: Path
    env: dict[str, str] = field(default_factory=dict)
    """What a subprocess needs besides the inherited environment; also set in this process."""

    def subprocess_env(self) -> dict[str, str]:
        """The full environment for ``subprocess.run(..., env=...)``."""
        return {**os.environ, **self.env}

    def options(self, **overrides: Any) -> ProjectOptions:
        """ProjectOptions for this copy (profiles beside the project)."""
        return ProjectOptions(
            project_dir=self.project_dir, profiles_dir=self.project_dir, **overrides
        )

    def sql(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement on the DuckDB file (``?`` placeholders) and return its rows.

        The file is opened and closed around the statement, since DuckDB lets one process
        write at a time: call it between syncs, not during one. dbt's table models are plain
        tables here, so tests may update or insert rows in them directly.
        """
        with duckdb.connect(str(self.duckdb_path)) as connection:
            cursor = connection.execute(statement, list(parameters))
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="session")
def built_integration_project(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """integration_tests after `dbt deps` and `dbt build` on DuckDB, once per session."""
    root = tmp_path_factory.mktemp("dbt")
    project_dir = root / "built" / "integration_tests"
    duckdb_path = root / "warehouse" / DUCKDB_FILE
    duckdb_path.parent.mkdir()
    shutil.copytree(INTEGRATION_TESTS, project_dir, ignore=_NOT_COPIED)
    run_dbt(["deps"], project_dir, duckdb_path)
    run_dbt(["build"], project_dir, duckdb_path)
    built_duckdb = project_dir.parent / DUCKDB_FILE
    shutil.move(duckdb_path, built_duckdb)
    return BuiltProject(project_dir, built_duckdb, duckdb_path)


@pytest.fixture
def dbt_env(
    built_integration_project: BuiltProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> DbtEnv:
    """A private copy of the built project and a fresh DuckDB file, with the environment set."""
    built = built_integration_project
    project_dir = tmp_path / "integration_tests"
    shutil.copytree(
        built.project_dir, project_dir, symlinks=True, ignore=shutil.ignore_patterns("logs")
    )
    built.duckdb_path.with_name(DUCKDB_FILE + ".wal").unlink(missing_ok=True)
    shutil.copyfile(built.built_duckdb, built.duckdb_path)
    env = dbt_environment(project_dir, built.duckdb_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return DbtEnv(project_dir=project_dir, duckdb_path=built.duckdb_path, env=env)


@pytest.fixture
def dbt_project(dbt_env: DbtEnv) -> DbtProject:
    """The test's copy of integration_tests, parsed in this process."""
    return DbtProject.load(dbt_env.options())
