"""``dbt-clarify status`` and ``reset`` as a user runs them, from the state in the warehouse."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from e2e.conftest import SyncCli, SyncRun

pytestmark = pytest.mark.dbt


def _without_api_key(sync_cli: SyncCli) -> dict[str, str]:
    env = sync_cli.env()
    del env["CLARIFY_API_KEY"]
    return env


def _status(sync_cli: SyncCli, *args: str) -> dict[str, dict[str, Any]]:
    run = sync_cli.run("--output", "json", *args, command="status", env=_without_api_key(sync_cli))
    assert run.exit_code == 0, run.stderr
    return {m["model"]: m for m in json.loads(run.stdout)["models"]}


def _first_sync(sync_cli: SyncCli) -> SyncRun:
    run = sync_cli.run()
    assert run.exit_code == 1, run.stderr  # integration_tests has rows Clarify cannot take
    return run


def test_status_after_a_run_with_rejected_rows(sync_cli: SyncCli) -> None:
    sync = _first_sync(sync_cli)
    people = sync.model("clarify_people")
    assert people["rejected"] > 0

    status = _status(sync_cli)

    assert set(status) == {"clarify_people", "clarify_companies"}
    for name, model in status.items():
        counts = sync.model(name)
        run = model["last_run"]
        assert run["run_id"] == sync.result["run_id"]  # type: ignore[index]
        for key in ("created", "updated", "unchanged", "rejected", "failed", "requests"):
            assert run[key] == counts[key], (name, key)
        assert run["rows_read"] == counts["read"]
        ((latest,),) = sync_cli.dbt_env.sql(f"select max(updated_at) from {name}")
        assert datetime.fromisoformat(model["watermark"]["cursor"]) == latest
        assert model["watermark"]["block_changed"] is False
    rejected = status["clarify_people"]["issues"]
    assert status["clarify_people"]["rejected"] == len(rejected) == people["rejected"]
    assert {(i["key"], i["reason"]) for i in rejected} == {
        (i["key"], i["reason"]) for i in people["issues"]
    }
    assert status["clarify_companies"]["issues"] == []

    text = sync_cli.run(command="status", env=_without_api_key(sync_cli))
    assert text.exit_code == 0, text.stderr
    assert "clarify_people -> person" in text.stdout
    assert f"rejected {people['rejected']}, failed 0" in text.stdout
    for issue in people["issues"]:
        assert issue["reason"] in text.stdout


def test_reset_forgets_one_model_and_its_next_sync_reads_every_row(sync_cli: SyncCli) -> None:
    _first_sync(sync_cli)
    people_in_clarify = len(sync_cli.emulator.records("person"))

    reset = sync_cli.run(
        "--select", "clarify_people", "--yes", command="reset", env=_without_api_key(sync_cli)
    )

    assert reset.exit_code == 0, reset.stderr
    assert "Forgot the state of clarify_people" in reset.stdout
    status = _status(sync_cli)
    assert status["clarify_people"]["watermark"] is None
    assert status["clarify_people"]["last_run"] is None
    assert status["clarify_people"]["issues"] == []
    assert status["clarify_companies"]["watermark"] is not None

    again = sync_cli.run()
    ((rows,),) = sync_cli.dbt_env.sql("select count(*) from clarify_people")
    assert again.model("clarify_people")["read"] == rows
    assert again.model("clarify_companies")["read"] == 0
    assert len(sync_cli.emulator.records("person")) == people_in_clarify  # matched, not doubled


@pytest.fixture
def no_terminal() -> Iterator[None]:
    """Standard input from /dev/null for the commands a test runs, as in CI or a cron job."""
    saved = os.dup(0)
    with open(os.devnull) as null:
        os.dup2(null.fileno(), 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)


@pytest.mark.warehouses("duckdb")  # refused before the state is touched
@pytest.mark.usefixtures("no_terminal")
def test_reset_without_yes_and_no_terminal_refuses(sync_cli: SyncCli) -> None:
    _first_sync(sync_cli)

    refused = sync_cli.run("--select", "clarify_people", command="reset")
    unselected = sync_cli.run("--yes", command="reset")

    assert refused.exit_code == 2
    assert "Error: reset asks for confirmation, and there is no terminal to ask on" in (
        refused.stderr
    )
    assert "--yes" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert unselected.exit_code == 2
    assert "--select or --selector" in unselected.stderr
    assert _status(sync_cli)["clarify_people"]["watermark"] is not None
