"""A model whose latest dbt build or tests failed is not synced, unless asked to."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.conftest import SyncCli
from e2e.dbt_cli import STAGE_TEST, checkout_elsewhere, fail_people_test, pass_people_test

pytestmark = pytest.mark.dbt


def test_a_model_whose_test_failed_is_skipped_and_synced_when_ignored(
    sync_cli: SyncCli,
) -> None:
    fail_people_test(sync_cli.dbt_env)

    gated = sync_cli.run()

    people = gated.model("clarify_people")
    assert people["status"] == "skipped"
    assert STAGE_TEST in people["message"]
    assert "target/run_results.json" in people["message"]
    assert people["read"] == people["created"] == 0
    assert "clarify_people skipped" in gated.stderr + gated.stdout
    assert "--ignore-dbt-results" in gated.stderr + gated.stdout
    assert sync_cli.emulator.records("person") == []
    assert gated.model("clarify_companies")["created"] > 0
    assert gated.exit_code in (0, 1), gated.stderr

    forced = sync_cli.run("--ignore-dbt-results")

    assert forced.model("clarify_people")["status"] != "skipped"
    assert forced.model("clarify_people")["created"] > 0
    assert len(sync_cli.emulator.records("person")) == forced.model("clarify_people")["created"]


def test_a_sync_elsewhere_is_gated_by_the_on_run_end_record(
    sync_cli: SyncCli, tmp_path: Path
) -> None:
    fail_people_test(sync_cli.dbt_env)
    runner = SyncCli(checkout_elsewhere(sync_cli.dbt_env, tmp_path), sync_cli.emulator)
    state_schema = f"{sync_cli.dbt_env.warehouse.schema}_clarify"

    gated = runner.run()

    assert not (runner.dbt_env.project_dir / "target" / "run_results.json").exists()
    people = gated.model("clarify_people")
    assert people["status"] == "skipped", gated.stderr
    assert STAGE_TEST in people["message"]
    assert f"recorded in {state_schema}.clarify_dbt_results" in people["message"]
    assert gated.model("clarify_companies")["created"] > 0

    # A later `dbt test` that passes, recorded by the hook, lifts the gate.
    pass_people_test(sync_cli.dbt_env)
    lifted = runner.run()

    assert lifted.model("clarify_people")["status"] != "skipped", lifted.stderr
    assert lifted.model("clarify_people")["created"] > 0
