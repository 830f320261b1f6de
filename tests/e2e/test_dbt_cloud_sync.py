"""A sync after a dbt Cloud job, on a runner without the job's target/: artifacts from dbt Cloud.

The "job" is the test's own project after a `dbt test` that failed; its manifest and run
results are served by a local stand-in of dbt Cloud's API. The on-run-end record of that
failure is deleted, so only the fetched run results can gate the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.conftest import API_KEY, SyncCli
from e2e.dbt_cli import STAGE_TEST, checkout_elsewhere, fail_people_test
from support.dbt_cloud_standin import ERROR, TOKEN, DbtCloudStandin, Run, Step, with_setup_steps

pytestmark = pytest.mark.dbt

RUN_ID, JOB_ID = 9001, 77


@pytest.fixture
def job_artifacts(sync_cli: SyncCli) -> dict[str, bytes]:
    """The manifest and run results of a dbt invocation whose test of clarify_people failed."""
    env = sync_cli.dbt_env
    fail_people_test(env)
    env.sql(f"delete from {env.warehouse.schema}_clarify.clarify_dbt_results")
    target = env.project_dir / "target"
    return {
        "manifest.json": (target / "manifest.json").read_bytes(),
        "run_results.json": (target / "run_results.json").read_bytes(),
    }


@pytest.fixture
def dbt_cloud(job_artifacts: dict[str, bytes]) -> Iterator[DbtCloudStandin]:
    """dbt Cloud holding the job's run: a `dbt test` step, then `dbt docs generate`."""
    docs = json.loads(job_artifacts["run_results.json"])
    docs["args"]["which"] = "generate"
    for result in docs["results"]:
        result["status"] = "success"
    steps = with_setup_steps(
        Step("Invoke dbt with `dbt test`", job_artifacts),
        Step(
            "Invoke dbt with `dbt docs generate`",
            {**job_artifacts, "run_results.json": json.dumps(docs).encode()},
        ),
    )
    with DbtCloudStandin() as standin:
        standin.add_run(Run(id=RUN_ID, job_id=JOB_ID, status=ERROR, steps=steps))
        yield standin


@pytest.fixture
def runner(sync_cli: SyncCli, tmp_path: Path) -> SyncCli:
    return SyncCli(checkout_elsewhere(sync_cli.dbt_env, tmp_path), sync_cli.emulator)


def assert_people_gated_and_companies_synced(sync: SyncCli, *args: str, env: dict[str, str]):
    run = sync.run(*args, env=env)
    people = run.model("clarify_people")
    assert people["status"] == "skipped", run.stderr
    assert STAGE_TEST in people["message"]
    assert run.model("clarify_companies")["created"] > 0
    assert sync.emulator.records("person") == []
    return run


@pytest.mark.parametrize(
    "which", [("--dbt-cloud-job-id", str(JOB_ID)), ("--dbt-cloud-run-id", str(RUN_ID))]
)
def test_a_sync_takes_the_job_artifacts_from_dbt_cloud(
    runner: SyncCli, dbt_cloud: DbtCloudStandin, which: tuple[str, str]
) -> None:
    run = assert_people_gated_and_companies_synced(
        runner, *which, env=runner.env(**dbt_cloud.env())
    )

    fetched = runner.dbt_env.project_dir / "target" / "dbt_cloud"
    assert str(fetched / "run_results.json") in run.model("clarify_people")["message"]
    assert (fetched / "manifest.json").is_file()
    assert {r.authorization for r in dbt_cloud.requests} == {f"Token {TOKEN}"}
    for secret in (TOKEN, API_KEY):
        assert secret not in run.stdout + run.stderr
        assert secret not in runner.result_path.read_text()


def test_a_sync_takes_the_artifacts_as_files(
    runner: SyncCli, job_artifacts: dict[str, bytes], tmp_path: Path
) -> None:
    for name, content in job_artifacts.items():
        (tmp_path / name).write_bytes(content)
    manifest, run_results = tmp_path / "manifest.json", tmp_path / "run_results.json"
    args = ("--manifest", str(manifest), "--run-results", str(run_results))

    assert_people_gated_and_companies_synced(runner, *args, env=runner.env())

    # The manifest was used as it is: the project was not parsed on the runner.
    assert not (runner.dbt_env.project_dir / "target" / "manifest.json").exists()


def test_dbt_cloud_settings_missing(runner: SyncCli, dbt_cloud: DbtCloudStandin) -> None:
    env = runner.env(**{**dbt_cloud.env(), "DBT_CLOUD_API_TOKEN": ""})
    run = runner.run("--dbt-cloud-job-id", str(JOB_ID), env=env)
    assert run.exit_code == 2
    assert "DBT_CLOUD_API_TOKEN is not set" in run.stderr
    assert "Traceback" not in run.stderr
    assert dbt_cloud.requests == []
