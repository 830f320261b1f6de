"""Fixtures of the adapter tests: integration_tests with a placeholder profile per adapter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.offline import PROFILES, dbt_environment
from support.dbt_project import INTEGRATION_TESTS


@pytest.fixture(scope="session")
def offline_project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of integration_tests after `dbt deps`, with a profile for every adapter."""
    project_dir = tmp_path_factory.mktemp("adapters") / "integration_tests"
    shutil.copytree(
        INTEGRATION_TESTS,
        project_dir,
        ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb*"),
    )
    duckdb_path = project_dir / "offline.duckdb"
    (project_dir / "profiles.yml").write_text(PROFILES.format(duckdb_path=duckdb_path))
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [str(dbt) if dbt.exists() else "dbt", "deps", "--project-dir", str(project_dir)],
        cwd=project_dir,
        env={**os.environ, **dbt_environment(project_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"`dbt deps` failed:\n{completed.stdout}\n{completed.stderr}")
    return project_dir
