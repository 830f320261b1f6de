"""The per-row ledger: only changes cost API calls, failures come back, deletes stay scoped."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from dbt_clarify.clarify import ClientOptions
from dbt_clarify.emulator import Emulator
from dbt_clarify.engine.options import SyncOptions
from dbt_clarify.engine.progress import SilentReporter
from dbt_clarify.engine.runner import run_sync
from dbt_clarify.settings import ClarifySettings
from e2e.blocks import edit_block
from e2e.conftest import API_KEY, LIFECYCLE_FIELD, WORKSPACE, SyncCli, write_requests

pytestmark = pytest.mark.dbt


def _emails(emulator: Emulator) -> set[str]:
    return {e for r in emulator.records("person") for e in r["email_addresses"]["items"]}


def test_a_lookback_over_the_whole_model_sends_no_writes(sync_cli: SyncCli) -> None:
    first = sync_cli.run()
    assert first.exit_code == 1, first.stderr
    writes = write_requests(sync_cli.emulator)
    for model in ("clarify_people", "clarify_companies"):
        edit_block(sync_cli.dbt_env.project_dir, model, lambda b: b.update(lookback="3650d"))

    again = sync_cli.run()

    assert write_requests(sync_cli.emulator) == writes
    people = again.model("clarify_people")
    assert people["created"] == people["updated"] == 0
    assert people["unchanged"] == first.model("clarify_people")["created"]
    assert (
        again.model("clarify_companies")["unchanged"] == first.model("clarify_companies")["created"]
    )


def test_full_refresh_resends_everything(sync_cli: SyncCli) -> None:
    first = sync_cli.run()
    again = sync_cli.run("--full-refresh")
    assert again.model("clarify_people")["updated"] == first.model("clarify_people")["created"]
    assert again.model("clarify_people")["created"] == 0


def test_a_changed_mapping_resyncs_that_model_only(sync_cli: SyncCli) -> None:
    sync_cli.run()
    edit_block(sync_cli.dbt_env.project_dir, "clarify_people", lambda b: b["fields"].pop("title"))
    again = sync_cli.run()
    assert again.model("clarify_people")["updated"] > 250
    assert again.model("clarify_companies")["read"] == 0


class _FaultsFrom:
    """A reporter that turns every request into a 503 once a given model starts."""

    def __init__(self, emulator: Emulator, model: str) -> None:
        self.emulator, self.model = emulator, model

    def model_started(self, model: str, object_name: str) -> None:
        if model == self.model:
            self.emulator.config.faults = ("503",)
            self.emulator.config.fault_rate = 1.0

    def rows_done(self, model: str, rows: int) -> None: ...
    def model_finished(self, result: object) -> None: ...
    def warning(self, message: str) -> None: ...


def test_rows_that_failed_land_on_the_next_run_behind_the_watermark(sync_cli: SyncCli) -> None:
    emulator = sync_cli.emulator
    options = SyncOptions(
        settings=ClarifySettings(SecretStr(API_KEY), WORKSPACE, emulator.url),
        project_dir=sync_cli.dbt_env.project_dir,
        profiles_dir=sync_cli.dbt_env.project_dir,
        client=ClientOptions(max_attempts=2, backoff_initial_s=0.01, backoff_max_s=0.02),
        run_result_path=Path(sync_cli.dbt_env.project_dir / "target" / "r.json"),
    )
    first = run_sync(options, _FaultsFrom(emulator, "clarify_people"))
    people = next(m for m in first.models if m.name == "clarify_people")
    assert people.failed > 250
    assert people.created == 0
    assert first.exit_code == 1

    emulator.config.fault_rate = 0.0
    second = run_sync(options, SilentReporter())
    people_again = next(m for m in second.models if m.name == "clarify_people")
    assert people_again.created == people.failed
    assert len(_emails(emulator)) == people_again.created
    third = run_sync(options, SilentReporter())
    assert sum(m.created + m.updated for m in third.models) == 0


def test_a_rejected_row_lands_once_clarify_accepts_its_value(sync_cli: SyncCli) -> None:
    db = sync_cli.dbt_env
    db.sql(
        "insert into clarify_people values ('churn@globex.io', 'Chu', 'Rn', null, 'globex.io', "
        "'Churned', timestamp '2030-01-01')"
    )
    first = sync_cli.run("--select", "clarify_people")
    issues = {i["key"]: i for i in first.model("clarify_people")["issues"]}
    assert "Churned" in issues["churn@globex.io"]["reason"]
    assert "churn@globex.io" not in _emails(sync_cli.emulator)

    # An admin adds the option in Clarify; no row changes, no --full-refresh.
    sync_cli.emulator.edit_custom_field(
        "person",
        "lifecycle_stage",
        {**LIFECYCLE_FIELD, "enum": [*LIFECYCLE_FIELD["enum"], "Churned"]},
    )
    second = sync_cli.run("--select", "clarify_people")
    assert "churn@globex.io" in _emails(sync_cli.emulator)
    assert second.model("clarify_people")["created"] == 1


def test_a_rejected_row_is_retried_a_bounded_number_of_times(sync_cli: SyncCli) -> None:
    runs = [sync_cli.run("--select", "clarify_people") for _ in range(4)]
    rejected = [r.model("clarify_people")["rejected"] for r in runs]
    assert rejected[0] > 0
    assert rejected[1] == rejected[2] == rejected[0]
    assert rejected[3] == 0  # three attempts, then it waits for a change
    assert runs[3].exit_code == 0


def test_cursor_none_finds_changes_the_cursor_does_not_show(sync_cli: SyncCli) -> None:
    edit_block(sync_cli.dbt_env.project_dir, "clarify_companies", lambda b: b.update(cursor="none"))
    first = sync_cli.run("--select", "clarify_companies")
    assert first.exit_code == 0, first.stderr
    # A derived column changes while updated_at stays put, as after a full rebuild.
    sync_cli.dbt_env.sql(
        "update clarify_companies set industry = 'Aerospace' "
        "where domain = (select min(domain) from clarify_companies)"
    )
    second = sync_cli.run("--select", "clarify_companies")
    companies = second.model("clarify_companies")
    assert (companies["read"], companies["updated"]) == (1, 1)
    assert sum(1 for c in sync_cli.emulator.records("company") if c["industry"] == "Aerospace") >= 1


def test_on_delete_removes_only_records_this_tool_synced(sync_cli: SyncCli) -> None:
    edit_block(
        sync_cli.dbt_env.project_dir, "clarify_companies", lambda b: b.update(on_delete="delete")
    )
    sync_cli.run("--select", "clarify_companies")
    httpx.post(
        f"{sync_cli.emulator.url}/v1/workspaces/{WORKSPACE}/objects/company/records",
        headers={"Authorization": f"api-key {API_KEY}"},
        json={
            "data": {
                "type": "company",
                "attributes": {"name": "Made by hand", "domains": {"items": ["hand.example"]}},
            }
        },
    ).raise_for_status()
    before = {c["domains"]["items"][0] for c in sync_cli.emulator.records("company")}
    (gone,) = sync_cli.dbt_env.sql("select min(domain) from clarify_companies")[0]
    sync_cli.dbt_env.sql("delete from clarify_companies where domain = ?", [gone])

    second = sync_cli.run("--select", "clarify_companies")

    assert second.model("clarify_companies")["deleted"] == 1
    after = {c["domains"]["items"][0] for c in sync_cli.emulator.records("company")}
    assert "hand.example" in after
    assert len(before - after) == 1
    third = sync_cli.run("--select", "clarify_companies")
    assert third.model("clarify_companies")["deleted"] == 0
