"""Fetching a dbt Cloud run's artifacts over real HTTP from a local stand-in of its API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from dbt_clarify.clarify.retry import RetryPolicy
from dbt_clarify.dbt_cloud import DbtCloudClient, DbtCloudSettings, fetch_cloud_artifacts
from dbt_clarify.dbt_results import read_run_results
from dbt_clarify.errors import ConfigError, ExitCode, WarehouseError
from support.dbt_cloud_standin import (
    CANCELLED,
    ERROR,
    RUNNING,
    SUCCESS,
    TOKEN,
    DbtCloudStandin,
    Run,
    Step,
    with_setup_steps,
)

PEOPLE = "model.shop.clarify_people"
PEOPLE_TEST = "test.shop.not_null_clarify_people_email.1a2b3c"
MANIFEST = json.dumps({"metadata": {"adapter_type": "duckdb"}, "nodes": {}}).encode()


def run_results(which: str, *results: tuple[str, str], invocation: str = "inv") -> bytes:
    return json.dumps(
        {
            "metadata": {"invocation_id": invocation, "generated_at": "2025-03-03T06:00:00Z"},
            "results": [{"unique_id": uid, "status": status} for uid, status in results],
            "args": {"which": which},
        }
    ).encode()


def build_step(*results: tuple[str, str]) -> Step:
    artifacts = {"manifest.json": MANIFEST, "run_results.json": run_results("build", *results)}
    return Step("Invoke dbt with `dbt build`", artifacts)


DOCS_STEP = Step(
    "Invoke dbt with `dbt docs generate`",
    {
        "manifest.json": MANIFEST,
        "run_results.json": run_results("generate", (PEOPLE, "success"), invocation="docs"),
    },
)


@pytest.fixture
def dbt_cloud() -> Iterator[DbtCloudStandin]:
    with DbtCloudStandin() as standin:
        yield standin


def settings(cloud: DbtCloudStandin, **overrides: Any) -> DbtCloudSettings:
    return DbtCloudSettings.from_env(cloud.env(), **overrides)


def test_a_runs_files_are_fetched_with_every_steps_results(
    dbt_cloud: DbtCloudStandin, tmp_path: Path
) -> None:
    steps = with_setup_steps(
        build_step((PEOPLE, "success"), (PEOPLE_TEST, "fail")),
        Step(
            "Invoke dbt with `dbt test`",
            {"run_results.json": run_results("test", ("test.shop.other.9", "pass"))},
        ),
        DOCS_STEP,
    )
    dbt_cloud.add_run(Run(id=70, job_id=5, status=ERROR, steps=steps))

    fetched = fetch_cloud_artifacts(settings(dbt_cloud), tmp_path / "cloud", run_id=70)

    assert fetched.run_id == 70
    assert fetched.manifest_path.read_bytes() == MANIFEST
    assert fetched.run_results_path is not None
    results = {r.node_id: r.status for r in read_run_results(fetched.run_results_path).results}
    # The docs step (dbt Cloud's default) says every model succeeded; the build said otherwise.
    assert results == {PEOPLE: "success", PEOPLE_TEST: "fail", "test.shop.other.9": "pass"}
    asked = {
        r.query.get("step", ["last"])[0] for r in dbt_cloud.requests if "run_results" in r.path
    }
    assert asked == {"1", "2", "3", "4", "5", "6"}
    assert {r.authorization for r in dbt_cloud.requests} == {f"Token {TOKEN}"}


def test_a_jobs_latest_finished_run_is_used(dbt_cloud: DbtCloudStandin, tmp_path: Path) -> None:
    for run_id, status in [(11, SUCCESS), (12, ERROR), (13, CANCELLED), (14, RUNNING)]:
        steps = with_setup_steps(build_step((PEOPLE, "success" if run_id != 12 else "error")))
        dbt_cloud.add_run(Run(id=run_id, job_id=5, status=status, steps=steps))
    dbt_cloud.add_run(Run(id=15, job_id=6, status=SUCCESS, steps=with_setup_steps(DOCS_STEP)))

    fetched = fetch_cloud_artifacts(settings(dbt_cloud), tmp_path, job_id=5)

    assert fetched.run_id == 12
    assert fetched.run_results_path is not None
    [people] = read_run_results(fetched.run_results_path).results
    assert people.status == "error"
    listing = next(r for r in dbt_cloud.requests if r.path.endswith("/runs/"))
    assert listing.query["job_definition_id"] == ["5"]
    assert listing.query["order_by"] == ["-id"]


def test_a_run_with_no_build_step_has_no_run_results(
    dbt_cloud: DbtCloudStandin, tmp_path: Path
) -> None:
    dbt_cloud.add_run(Run(id=21, job_id=5, status=SUCCESS, steps=with_setup_steps(DOCS_STEP)))
    fetched = fetch_cloud_artifacts(settings(dbt_cloud), tmp_path, run_id=21)
    assert fetched.manifest_path.is_file()
    assert fetched.run_results_path is None


@pytest.mark.parametrize(
    ("run", "message"),
    [
        (Run(id=31, job_id=5, status=RUNNING), "run 31 has not finished (status Running)"),
        (Run(id=32, job_id=5, status=CANCELLED), "run 32 has no manifest.json"),
        (None, "account 4321 has no run 33"),
    ],
)
def test_runs_that_cannot_be_used_are_configuration_errors(
    dbt_cloud: DbtCloudStandin, tmp_path: Path, run: Run | None, message: str
) -> None:
    if run is not None:
        dbt_cloud.add_run(run)
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        fetch_cloud_artifacts(settings(dbt_cloud), tmp_path, run_id=run.id if run else 33)
    assert raised.value.exit_code == ExitCode.CONFIG
    assert not (tmp_path / "manifest.json").exists()


def test_a_job_without_a_finished_run(dbt_cloud: DbtCloudStandin, tmp_path: Path) -> None:
    dbt_cloud.add_run(Run(id=41, job_id=9, status=RUNNING))
    with pytest.raises(ConfigError, match="job 9 has no run that finished"):
        fetch_cloud_artifacts(settings(dbt_cloud), tmp_path, job_id=9)


def test_a_wrong_token_is_refused_without_showing_it(
    dbt_cloud: DbtCloudStandin, tmp_path: Path
) -> None:
    wrong = "dbtc_wrong-token-5521"
    with pytest.raises(ConfigError, match="refused the API token") as raised:
        fetch_cloud_artifacts(settings(dbt_cloud, api_token=wrong), tmp_path, run_id=1)
    assert wrong not in str(raised.value)
    assert "DBT_CLOUD_API_TOKEN" in (raised.value.hint or "")


def test_either_a_run_or_a_job(dbt_cloud: DbtCloudStandin, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="either a dbt Cloud run id or a job id"):
        fetch_cloud_artifacts(settings(dbt_cloud), tmp_path, run_id=1, job_id=2)
    with pytest.raises(ConfigError, match="either a dbt Cloud run id or a job id"):
        fetch_cloud_artifacts(settings(dbt_cloud), tmp_path)


def test_busy_answers_are_retried_after_the_wait_asked(dbt_cloud: DbtCloudStandin) -> None:
    dbt_cloud.add_run(Run(id=51, job_id=5, status=SUCCESS))
    dbt_cloud.faults += [dbt_cloud.fault(429, retry_after="7"), dbt_cloud.fault(503)]
    waits: list[float] = []
    with DbtCloudClient(settings(dbt_cloud), sleep=waits.append) as client:
        assert client.run(51).status == SUCCESS
    assert len(waits) == 2
    assert waits[0] == 7.0
    assert 0 <= waits[1] <= 1.0  # the first backoff of the default policy
    assert len(dbt_cloud.requests) == 3


def test_an_outage_ends_in_one_clear_error(dbt_cloud: DbtCloudStandin) -> None:
    dbt_cloud.faults += [dbt_cloud.fault(502)] * 3
    policy = RetryPolicy(max_attempts=3, backoff_initial_s=0.0)
    with (
        DbtCloudClient(settings(dbt_cloud), policy=policy, sleep=lambda _: None) as client,
        pytest.raises(WarehouseError, match="dbt Cloud could not give run 1: 502 Bad Gateway"),
    ):
        client.run(1)
    assert len(dbt_cloud.requests) == 3


def test_an_unreachable_dbt_cloud(tmp_path: Path) -> None:
    with DbtCloudStandin() as gone:
        unreachable = settings(gone)
    policy = RetryPolicy(max_attempts=2, backoff_initial_s=0.0)
    client = DbtCloudClient(unreachable, policy=policy, sleep=lambda _: None)
    with pytest.raises(WarehouseError, match=r"cannot reach dbt Cloud at http://127\.0\.0\.1"):
        fetch_cloud_artifacts(unreachable, tmp_path, run_id=1, client=client)


def test_settings_come_from_the_environment_and_hide_the_token() -> None:
    env = {"DBT_CLOUD_ACCOUNT_ID": " 77 ", "DBT_CLOUD_API_TOKEN": "dbtc_secret-value"}
    found = DbtCloudSettings.from_env(env)
    assert found.account_root == "https://cloud.getdbt.com/api/v2/accounts/77"
    assert "dbtc_secret-value" not in repr(found)
    cell = DbtCloudSettings.from_env({**env, "DBT_CLOUD_URL": "https://ab123.us1.dbt.com/"})
    assert cell.account_root == "https://ab123.us1.dbt.com/api/v2/accounts/77"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DBT_CLOUD_API_TOKEN": "t"}, "DBT_CLOUD_ACCOUNT_ID is not set"),
        ({"DBT_CLOUD_ACCOUNT_ID": "acme", "DBT_CLOUD_API_TOKEN": "t"}, "is not a number"),
        ({"DBT_CLOUD_ACCOUNT_ID": "1"}, "DBT_CLOUD_API_TOKEN is not set"),
        (
            {
                "DBT_CLOUD_ACCOUNT_ID": "1",
                "DBT_CLOUD_API_TOKEN": "t",
                "DBT_CLOUD_URL": "http://x.io",
            },
            "plain HTTP to a non-loopback host",
        ),
    ],
)
def test_missing_or_unsafe_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DbtCloudSettings.from_env(env)


def test_the_token_must_not_be_blank() -> None:
    with pytest.raises(ConfigError, match="DBT_CLOUD_API_TOKEN is empty"):
        DbtCloudSettings(account_id=1, api_token=SecretStr("  "))
