"""Sync dbt models into Clarify from Airflow: after a dbt build, or after a dbt Cloud job.

Put this file in the DAGs folder of an environment where ``dbt-clarify[<adapter>]`` is
installed, with CLARIFY_API_KEY and CLARIFY_WORKSPACE (and, for dbt Cloud, DBT_CLOUD_ACCOUNT_ID
and DBT_CLOUD_API_TOKEN) in the workers' environment or a secrets backend that sets them.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.decorators import dag, task
from airflow.exceptions import AirflowException
from airflow.operators.bash import BashOperator
from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator

DBT_PROJECT_DIR = "/opt/airflow/dbt/analytics"
DBT_TARGET = "prod"
DBT_CLOUD_JOB_ID = 123456


# all_done: the sync runs even when dbt failed, and leaves out only the models whose build or
# tests failed (each named in the run result with its reason).
@task(trigger_rule="all_done", retries=2, retry_delay=pendulum.duration(minutes=5))
def sync_to_clarify(dbt_cloud_job_id: int | None = None) -> dict[str, Any]:
    """Run the sync; return its result (to XCom); fail the task if rows could not be delivered.

    Rows Clarify refused for their content (a malformed email) do not fail the task: a retry
    cannot fix them. They are listed in the result and in the health models of the dbt package.
    """
    import dbt_clarify  # here, not at the top: the scheduler parses this file often

    result = dbt_clarify.sync(
        project_dir=DBT_PROJECT_DIR,
        target=DBT_TARGET,
        select=["tag:clarify"],
        dbt_cloud_job_id=dbt_cloud_job_id,
    )
    undelivered = {model.name: model.failed for model in result.models if model.failed}
    if undelivered:
        raise AirflowException(f"rows not delivered to Clarify, retry later: {undelivered}")
    return result.model_dump(mode="json")


@dag(
    schedule="15 6 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["dbt", "clarify"],
)
def clarify_sync_after_dbt_build() -> None:
    build = BashOperator(
        task_id="dbt_build",
        bash_command=f"dbt build --project-dir {DBT_PROJECT_DIR} --target {DBT_TARGET}",
    )
    build >> sync_to_clarify()


@dag(
    schedule="15 6 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["dbt", "dbt-cloud", "clarify"],
)
def clarify_sync_after_dbt_cloud() -> None:
    job = DbtCloudRunJobOperator(
        task_id="dbt_cloud_job",
        job_id=DBT_CLOUD_JOB_ID,
        wait_for_termination=True,
        check_interval=30,
    )
    # The job's latest finished run is the one just waited for, failed or not: the sync takes
    # its manifest and run results from dbt Cloud's API.
    job >> sync_to_clarify(dbt_cloud_job_id=DBT_CLOUD_JOB_ID)


clarify_sync_after_dbt_build()
clarify_sync_after_dbt_cloud()
