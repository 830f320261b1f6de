"""``dbt_clarify.sync(...)`` called the way an Airflow task calls it (examples/airflow).

A task runs its callable in the worker's process and pushes the return value to XCom, which
must serialise as JSON; a raised exception fails the task.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dbt_clarify
from dbt_clarify.emulator import Emulator
from dbt_clarify.errors import ConfigError
from e2e.conftest import API_KEY, WORKSPACE
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt


class AirflowException(Exception):
    """Stands for airflow.exceptions.AirflowException, which fails a task."""


def sync_to_clarify(project_dir: str, dbt_cloud_job_id: int | None = None) -> dict[str, Any]:
    """The task callable of examples/airflow, with the project directory as an argument."""
    result = dbt_clarify.sync(
        project_dir=project_dir, select=["tag:clarify"], dbt_cloud_job_id=dbt_cloud_job_id
    )
    undelivered = {model.name: model.failed for model in result.models if model.failed}
    if undelivered:
        raise AirflowException(f"rows not delivered to Clarify, retry later: {undelivered}")
    return result.model_dump(mode="json")


@pytest.fixture
def clarify_env(clarify: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("CLARIFY_API_KEY", API_KEY)
    monkeypatch.setenv("CLARIFY_WORKSPACE", WORKSPACE)
    monkeypatch.setenv("CLARIFY_API_URL", clarify.url)
    return clarify


def test_a_task_syncs_and_returns_a_result_xcom_can_carry(
    dbt_env: DbtEnv, clarify_env: Emulator
) -> None:
    xcom = json.loads(json.dumps(sync_to_clarify(str(dbt_env.project_dir))))

    assert {m["name"] for m in xcom["models"]} == {"clarify_companies", "clarify_people"}
    people = next(m for m in xcom["models"] if m["name"] == "clarify_people")
    assert people["created"] == len(clarify_env.records("person")) > 0
    assert people["rejected"] > 0  # refused rows are reported, and do not fail the task
    assert API_KEY not in json.dumps(xcom)
    written = dbt_env.project_dir / "target" / "clarify_run_results.json"
    assert json.loads(written.read_text())["run_id"] == xcom["run_id"]


def test_a_task_fails_with_one_clear_error(
    dbt_env: DbtEnv, clarify_env: Emulator, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="dbt could not parse the project"):
        sync_to_clarify(str(tmp_path / "no_such_project"))
    assert clarify_env.records("company") == []
