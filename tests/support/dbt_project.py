"""The integration_tests dbt project, built once per warehouse and session, copied for each test.

Every test that uses ``dbt_env`` (or a fixture built on it) runs once per warehouse, DuckDB and
PostgreSQL, with ids like ``test_x[postgres]``; ``@pytest.mark.warehouses("duckdb")`` keeps a
test that is about one warehouse to that one, and ``-m "not postgres"`` leaves PostgreSQL out.

``dbt deps`` and ``dbt build`` run once per warehouse, in a temporary copy of integration_tests
whose package entry points back at this repository. Each test gets its own copy of that built
project and a fresh copy of the built database (a DuckDB file copy, or a PostgreSQL database
made from the build as a template: milliseconds, where a build takes seconds), and the
environment a dbt or dbt-clarify process needs, already set in this process.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dbt_clarify.dbt import DbtProject, ProjectOptions
from support.warehouses import DuckDBFile, PostgresDatabase, ProjectWarehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_TESTS = REPO_ROOT / "integration_tests"
WAREHOUSES = ("duckdb", "postgres")
_NOT_COPIED = shutil.ignore_patterns(
    "target", "dbt_packages", "logs", "package-lock.yml", "*.duckdb", "*.duckdb.wal"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "warehouses(*names): run a dbt test on these warehouses only (default: all)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that needs the built project once per warehouse."""
    if "warehouse_name" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("warehouses")
    names = marker.args if marker else WAREHOUSES
    unknown = set(names) - set(WAREHOUSES)
    if unknown:
        raise ValueError(f"unknown warehouses {sorted(unknown)}; known: {', '.join(WAREHOUSES)}")
    metafunc.parametrize(
        "warehouse_name",
        [
            pytest.param(name, marks=[pytest.mark.postgres] if name == "postgres" else [])
            for name in names
        ],
        indirect=True,
        scope="session",
    )


@pytest.fixture(scope="session")
def warehouse_name(request: pytest.FixtureRequest) -> str:
    """The warehouse this test runs on (a target of integration_tests/profiles.yml)."""
    name: str = request.param
    return name


def dbt_environment(project_dir: Path, warehouse: ProjectWarehouse) -> dict[str, str]:
    """The variables that point dbt at a copy of integration_tests and its warehouse."""
    return {
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_CLARIFY_TARGET": warehouse.target,
        "DBT_CLARIFY_PACKAGE_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **warehouse.environment(),
    }


def run_dbt(args: Sequence[str], project_dir: Path, warehouse: ProjectWarehouse) -> str:
    """Run the dbt command line on a project copy; fail the test with dbt's output if it fails."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", *args, "--project-dir", str(project_dir)]
    completed = subprocess.run(
        command,
        cwd=project_dir,
        env={**os.environ, **dbt_environment(project_dir, warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"`dbt {' '.join(args)}` failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


@dataclass(frozen=True)
class BuiltProject:
    """integration_tests after one `dbt build`, and the warehouse it was built into."""

    project_dir: Path
    warehouse: ProjectWarehouse


@dataclass(frozen=True)
class DbtEnv:
    """One test's own built copy of integration_tests and of its warehouse."""

    project_dir: Path
    warehouse: ProjectWarehouse
    env: dict[str, str] = field(default_factory=dict)
    """What a subprocess needs besides the inherited environment; also set in this process."""

    def subprocess_env(self) -> dict[str, str]:
        """The full environment for ``subprocess.run(..., env=...)``."""
        return {**os.environ, **self.env}

    def run_python(self, script: str, **env: str) -> Any:
        """Run ``script`` in a new interpreter in the project, its path as ``sys.argv[1]`` and
        ``env`` added to its environment; the JSON it prints on its last line."""
        completed = subprocess.run(
            [sys.executable, "-c", script, str(self.project_dir)],
            env={**self.subprocess_env(), **env},
            cwd=self.project_dir,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(completed.stdout.splitlines()[-1])

    def options(self, **overrides: Any) -> ProjectOptions:
        """ProjectOptions for this copy (profiles beside the project)."""
        return ProjectOptions(
            project_dir=self.project_dir, profiles_dir=self.project_dir, **overrides
        )

    def sql(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement on the test's warehouse (``?`` placeholders) and return its rows.

        Unqualified names resolve to dbt's target schema, where dbt's table models are plain
        tables, so tests may update or insert rows in them directly. Call it between syncs, not
        during one: DuckDB lets one process write at a time.
        """
        return self.warehouse.sql(statement, parameters)


def _project_warehouse(name: str, root: Path, request: pytest.FixtureRequest) -> ProjectWarehouse:
    if name == "duckdb":
        return DuckDBFile(root / "warehouse" / "integration_tests.duckdb")
    # Started only when a PostgreSQL test runs; a random name keeps sessions sharing a server apart.
    server = request.getfixturevalue("postgres_server")
    return PostgresDatabase(server, f"integration_tests_{secrets.token_hex(4)}")


@pytest.fixture(scope="session")
def built_integration_project(
    warehouse_name: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[BuiltProject]:
    """integration_tests after `dbt deps` and `dbt build` on one warehouse, once per session."""
    root = tmp_path_factory.mktemp(f"dbt-{warehouse_name}")
    project_dir = root / "built" / "integration_tests"
    shutil.copytree(INTEGRATION_TESTS, project_dir, ignore=_NOT_COPIED)
    warehouse = _project_warehouse(warehouse_name, root, request)
    warehouse.create()
    try:
        run_dbt(["deps"], project_dir, warehouse)
        run_dbt(["build"], project_dir, warehouse)
        warehouse.keep_as_built()
        yield BuiltProject(project_dir, warehouse)
    finally:
        warehouse.discard()


@pytest.fixture
def dbt_env(
    built_integration_project: BuiltProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> DbtEnv:
    """A private copy of the built project and a fresh copy of its warehouse, environment set."""
    built = built_integration_project
    project_dir = tmp_path / "integration_tests"
    shutil.copytree(
        built.project_dir, project_dir, symlinks=True, ignore=shutil.ignore_patterns("logs")
    )
    built.warehouse.restore_built()
    env = dbt_environment(project_dir, built.warehouse)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return DbtEnv(project_dir=project_dir, warehouse=built.warehouse, env=env)


@pytest.fixture
def dbt_project(dbt_env: DbtEnv) -> DbtProject:
    """The test's copy of integration_tests, parsed in this process."""
    return DbtProject.load(dbt_env.options())
