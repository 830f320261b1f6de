"""dbt's own command line on a test's project, and the dbt results the gating tests start from."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

from support.dbt_project import DbtEnv

STAGE_TEST = "accepted_values_clarify_people_lifecycle_stage"
REFUSED_STAGE = "Churned"


def dbt(dbt_env: DbtEnv, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` on the test's project; its exit code is the caller's to check."""
    executable = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(executable), *args, "--project-dir", str(dbt_env.project_dir)],
        cwd=dbt_env.project_dir,
        env=dbt_env.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def fail_people_test(dbt_env: DbtEnv) -> None:
    """Give one person a lifecycle stage the model's accepted_values test refuses; `dbt test`."""
    dbt_env.sql(
        f"update clarify_people set lifecycle_stage = '{REFUSED_STAGE}'"
        " where email = (select min(email) from clarify_people where email like '%@%.%')"
    )
    tested = dbt(dbt_env, "test", "--select", "clarify_people")
    assert tested.returncode == 1, tested.stdout
    assert f"FAIL 1 {STAGE_TEST}" in tested.stdout, tested.stdout


def pass_people_test(dbt_env: DbtEnv) -> None:
    """Put the refused stage right again; `dbt test` passes."""
    dbt_env.sql(
        "update clarify_people set lifecycle_stage = 'Lead' where lifecycle_stage = ?",
        [REFUSED_STAGE],
    )
    tested = dbt(dbt_env, "test", "--select", "clarify_people")
    assert tested.returncode == 0, tested.stdout


def checkout_elsewhere(dbt_env: DbtEnv, root: Path) -> DbtEnv:
    """The project as another runner has it: its files and packages, but none of dbt's target/."""
    project_dir = root / "runner" / "integration_tests"
    shutil.copytree(
        dbt_env.project_dir,
        project_dir,
        symlinks=True,
        ignore=shutil.ignore_patterns("target", "logs"),
    )
    env = {**dbt_env.env, "DBT_PROFILES_DIR": str(project_dir)}
    return dataclasses.replace(dbt_env, project_dir=project_dir, env=env)
