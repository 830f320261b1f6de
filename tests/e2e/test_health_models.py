"""The dbt package's sync-health models over the state tables, and their tests under `dbt test`."""

from __future__ import annotations

import pytest

from e2e.conftest import SyncCli
from e2e.dbt_cli import dbt, fail_people_test

pytestmark = pytest.mark.dbt


def test_health_models_show_what_the_syncs_did_and_their_tests_warn(sync_cli: SyncCli) -> None:
    env = sync_cli.dbt_env
    schema = f"{env.warehouse.schema}_clarify"
    # Built with the project, before any sync: empty, over state tables created for them.
    assert env.sql(f"select count(*) from {schema}.clarify_health_sync_runs") == [(0,)]

    run = sync_cli.run()
    assert run.exit_code == 1, run.stderr  # integration_tests has rows Clarify must refuse
    fail_people_test(env)

    runs = env.sql(
        f"select model_name, status, written, rejected from {schema}.clarify_health_sync_runs"
    )
    assert sorted(runs) == sorted(
        (m["name"], m["status"], m["created"] + m["updated"], m["rejected"])
        for m in run.result["models"]
    )
    waiting = dict(
        env.sql(
            f"select model_id, count(distinct row_key) from {schema}.clarify_sync_rows"
            " where status in ('rejected', 'failed') group by model_id"
        )
    )
    failures = env.sql(
        f"select model_id, status, reason, row_count from {schema}.clarify_health_row_failures"
    )
    assert failures, "the sync rejected rows, so some failure must be listed"
    for model_id, count in waiting.items():
        assert sum(n for m, _, _, n in failures if m == model_id) == count
    assert all(reason for _, _, reason, _ in failures)

    models = {
        name: (status, rejected, outcome)
        for name, status, rejected, outcome in env.sql(
            "select model_name, last_sync_status, rejected_rows, dbt_outcome"
            f" from {schema}.clarify_health_models"
        )
    }
    people = run.model("clarify_people")
    assert models["clarify_people"] == ("partial", waiting[people["unique_id"]], "failed")
    assert models["clarify_companies"][2] == "passed"

    tested = dbt(env, "test", "--select", "package:dbt_clarify")

    assert tested.returncode == 0, tested.stdout
    assert "WARN 1 accepted_values_clarify_health_models_dbt_outcome__passed" in tested.stdout
    assert "WARN 1 accepted_values_clarify_health_models_last_sync_status__success" in (
        tested.stdout
    )

    # Two syncs at once can leave an older ledger row beside a key's latest: the latest counts.
    model_id, key = env.sql(
        f"select model_id, row_key from {schema}.clarify_sync_rows"
        " where status = 'rejected' order by row_key limit 1"
    )[0]
    env.sql(
        f"insert into {schema}.clarify_sync_rows"
        " (model_id, row_key, status, run_id, attempts, status_since, last_attempt_at)"
        " select model_id, row_key, 'synced', 'a-later-run', 0,"
        "  last_attempt_at + interval '1 hour', last_attempt_at + interval '1 hour'"
        f" from {schema}.clarify_sync_rows where model_id = ? and row_key = ?",
        [model_id, key],
    )
    listed = env.sql(
        f"select sum(row_count) from {schema}.clarify_health_row_failures where model_id = ?",
        [model_id],
    )
    assert listed == [(waiting[model_id] - 1,)]
