"""``dbt-clarify plan`` and ``sync --dry-run`` as a user runs them: the counts a plan shows are
what the following sync does, and the plan writes nothing to Clarify or to the warehouse."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from dbt_clarify.state import default_state_schema
from e2e.blocks import edit_block
from e2e.conftest import SyncCli, SyncRun, write_requests

pytestmark = pytest.mark.dbt

MODELS = ("clarify_companies", "clarify_people")
SAME_AS_SYNC = {
    "create": "created",
    "update": "updated",
    "skip": "unchanged",
    "reject": "rejected",
    "fail": "failed",
    "delete": "deleted",
    "unlinked": "unlinked",
}


def _plan(sync_cli: SyncCli, *args: str, command: str = "plan") -> dict[str, Any]:
    run = sync_cli.run(*args, command=command)
    assert run.exit_code == 0, run.stderr
    assert run.result is None  # no run result that a later sync could take for a real run
    plan: dict[str, Any] = json.loads(run.stdout)
    return plan


def _models(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in plan["models"]}


def _state(sync_cli: SyncCli) -> dict[tuple[str, str], list[tuple]]:
    """Every table of the warehouse's state schema with its rows (sorted, as text)."""
    warehouse = sync_cli.dbt_env.warehouse
    schema = default_state_schema(warehouse.schema)
    return {
        (s, t): sorted(tuple(map(str, row)) for row in warehouse.rows(s, t))
        for s, t in warehouse.tables()
        if s == schema
    }


def _endpoint_template(endpoint: str) -> str:
    """``POST /objects/person/records/bulk`` -> ``POST /objects/{object}/records/bulk``."""
    method, path = endpoint.split(" ", 1)
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "objects":
        parts[2] = "{object}"
    return f"{method} {'/'.join(parts)}"


def _planned_requests(plan: dict[str, Any]) -> Counter[str]:
    planned: Counter[str] = Counter()
    for model in plan["models"]:
        for endpoint in model["requests"]:
            planned[_endpoint_template(endpoint["endpoint"])] += endpoint["requests"]
    return planned


def _sync_requests(sync_cli: SyncCli, before: Counter[tuple[str, int]]) -> Counter[str]:
    """Requests the emulator received since ``before``, per endpoint, schema reads left out."""
    sent: Counter[str] = Counter()
    for (endpoint, _), count in (sync_cli.emulator.request_counts() - before).items():
        if endpoint != "GET /schemas":
            sent[endpoint] += count
    return sent


def _assert_plan_is_the_sync(plan: dict[str, Any], sync: SyncRun) -> None:
    for name in MODELS:
        planned, done = _models(plan)[name], sync.model(name)
        assert {k: planned[k] for k in SAME_AS_SYNC} == {
            k: done[v] for k, v in SAME_AS_SYNC.items()
        }, name
        assert planned["create_or_update"] == 0
        assert planned["issue_counts"] == done["issue_counts"]
        assert planned["issues"] == done["issues"]


def test_a_plan_on_a_fresh_project_is_what_the_sync_then_does(sync_cli: SyncCli) -> None:
    state_before = _state(sync_cli)

    plan = _plan(sync_cli, "--output", "json")

    assert write_requests(sync_cli.emulator) == 0
    assert sync_cli.emulator.records("person") == []
    assert _state(sync_cli) == state_before
    before = sync_cli.emulator.request_counts()
    sync = sync_cli.run()
    assert sync.exit_code == 1, sync.stderr  # integration_tests has rows Clarify cannot take
    _assert_plan_is_the_sync(plan, sync)
    people = _models(plan)["clarify_people"]
    assert people["create"] > 250
    assert people["reject"] > 0
    assert _planned_requests(plan) == _sync_requests(sync_cli, before)


def test_after_a_sync_changed_rows_plan_as_updates_and_unchanged_ones_as_skips(
    sync_cli: SyncCli,
) -> None:
    sync_cli.run()
    db = sync_cli.dbt_env
    (changed,) = db.sql(
        "select count(*) from clarify_people where email like '%@globex.io' and title is not null"
    )[0]
    db.sql(
        "update clarify_people set title = 'Chief ' || title, "
        "updated_at = timestamp '2031-01-01' "
        "where email like '%@globex.io' and title is not null"
    )
    db.sql(
        "insert into clarify_people values ('newcomer@globex.io', 'New', 'Comer', 'CTO', "
        "'globex.io', 'Lead', timestamp '2031-01-02')"
    )
    writes, state_before = write_requests(sync_cli.emulator), _state(sync_cli)

    plan = _plan(sync_cli, "--output", "json")

    assert write_requests(sync_cli.emulator) == writes
    assert _state(sync_cli) == state_before
    people = _models(plan)["clarify_people"]
    assert changed > 0
    assert (people["create"], people["update"]) == (1, changed)
    before = sync_cli.emulator.request_counts()
    sync = sync_cli.run()
    _assert_plan_is_the_sync(plan, sync)
    assert _planned_requests(plan) == _sync_requests(sync_cli, before)


def test_a_row_the_sync_rejects_is_planned_as_rejected_with_its_reason(sync_cli: SyncCli) -> None:
    sync_cli.dbt_env.sql(
        "insert into clarify_people values ('churn@globex.io', 'Chu', 'Rn', null, 'globex.io', "
        "'Churned', timestamp '2030-01-01')"
    )

    plan = _plan(sync_cli, "--output", "json", "--select", "clarify_people")

    planned = {i["key"]: i for i in _models(plan)["clarify_people"]["issues"]}
    assert planned["churn@globex.io"]["status"] == "rejected"
    assert "Churned" in planned["churn@globex.io"]["reason"]
    assert planned["churn@globex.io"]["field"] == "lifecycle_stage"
    sync = sync_cli.run("--select", "clarify_people")
    done = {i["key"]: i for i in sync.model("clarify_people")["issues"]}
    assert done["churn@globex.io"] == planned["churn@globex.io"]


@pytest.mark.warehouses("duckdb")
def test_the_json_plan_has_counts_requests_and_samples_per_model(sync_cli: SyncCli) -> None:
    plan = _plan(sync_cli, "--output", "json", "--samples", "2", "--batch-size", "50")

    assert plan["rate_limit_per_minute"] == 3000
    assert plan["lookups"] >= 1  # at least GET /schemas: a plan reads
    people = _models(plan)["clarify_people"]
    assert people["object"] == "person"
    assert people["match_on"] == "email_addresses"
    assert people["status"] == "planned"
    bulk = next(r for r in people["requests"] if r["endpoint"].endswith("/records/bulk"))
    assert bulk["endpoint"] == "POST /objects/person/records/bulk"
    to_send = people["create"] + people["update"]
    assert bulk["requests"] == -(-to_send // 50)
    assert people["seconds_at_rate_limit"] >= 0
    assert len(people["samples"]) == 2
    sample = people["samples"][0]
    assert sample["type"] == "person"
    assert set(sample["attributes"]["email_addresses"]) == {"items"}
    assert sum(people["issue_counts"].values()) == people["reject"] + people["fail"]
    written = sync_cli.dbt_env.project_dir / "target" / "clarify_plan.json"
    assert json.loads(written.read_text()) == plan


@pytest.mark.warehouses("duckdb")
def test_sync_dry_run_is_the_plan(sync_cli: SyncCli) -> None:
    plan = _plan(sync_cli, "--output", "json")
    dry_run = _plan(sync_cli, "--dry-run", "--log-format", "json", command="sync")

    assert write_requests(sync_cli.emulator) == 0
    assert dry_run["models"] == plan["models"]
    text = sync_cli.run("--dry-run", command="sync")
    assert text.exit_code == 0, text.stderr
    assert "clarify_people -> person" in text.stdout
    assert "Nothing was written" in text.stdout
    assert write_requests(sync_cli.emulator) == 0


@pytest.mark.warehouses("duckdb")
def test_a_plan_with_a_bad_block_fails_in_one_line_like_sync(sync_cli: SyncCli) -> None:
    edit_block(sync_cli.dbt_env.project_dir, "clarify_people", lambda b: b.update(object="nope"))
    planned = sync_cli.run(command="plan")
    synced = sync_cli.run("--dry-run", command="sync")
    assert planned.exit_code == synced.exit_code == 2
    assert "Traceback" not in planned.stderr
    assert planned.stderr.strip().splitlines()[0] == synced.stderr.strip().splitlines()[0]


def test_a_plan_creates_no_state_schema_that_is_missing(sync_cli: SyncCli) -> None:
    tables_before = sync_cli.dbt_env.warehouse.tables()

    plan = _plan(sync_cli, "--output", "json", "--state-schema", "never_synced")

    assert sync_cli.dbt_env.warehouse.tables() == tables_before
    assert (
        _models(plan)["clarify_companies"]["create"] == _models(plan)["clarify_companies"]["read"]
    )
