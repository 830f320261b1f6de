"""Selection follows dbt's own grammar; the API key never leaves the process, nor row data
the warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from e2e.conftest import API_KEY, SyncCli

pytestmark = pytest.mark.dbt

SYNC_MODELS = {"clarify_people", "clarify_companies"}


def _dbt_ls(sync_cli: SyncCli, *args: str) -> set[str]:
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [str(dbt), "ls", "--resource-type", "model", "--output", "name", "--quiet", *args],
        cwd=sync_cli.dbt_env.project_dir,
        env=sync_cli.dbt_env.subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.strip() for line in completed.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize(
    "args",
    [
        ("--select", "tag:clarify"),
        ("--select", "clarify_companies"),
        ("--select", "tag:clarify", "--exclude", "clarify_people"),
        ("--select", "+clarify_people"),
        ("--select", "stg_people+"),
        ("--selector", "clarify_companies_only"),
    ],
)
def test_selection_matches_dbt(sync_cli: SyncCli, args: tuple[str, ...]) -> None:
    expected = _dbt_ls(sync_cli, *args) & SYNC_MODELS
    run = sync_cli.run(*args)
    assert run.result is not None, run.stderr
    assert {m["name"] for m in run.result["models"]} == expected
    assert expected, "each case should select at least one sync model"


def test_api_key_never_appears_anywhere(sync_cli: SyncCli) -> None:
    run = sync_cli.run("--debug")
    assert run.exit_code == 1, run.stderr  # rejected rows: the failure path is exercised too
    json_run = sync_cli.run("--debug", "--log-format", "json", "--full-refresh")
    outputs = run.stdout + run.stderr + json_run.stdout + json_run.stderr
    assert API_KEY not in outputs
    assert API_KEY not in sync_cli.result_path.read_text()
    for log in (sync_cli.dbt_env.project_dir / "logs").glob("*"):
        assert API_KEY not in log.read_text(errors="replace")
    warehouse = sync_cli.dbt_env.warehouse
    tables = warehouse.tables()
    assert any(name == "clarify_sync_state" for _, name in tables)
    for schema, name in tables:
        assert API_KEY not in repr(warehouse.rows(schema, name)), f"{schema}.{name}"


def test_synced_keys_stay_out_of_dbts_log(sync_cli: SyncCli) -> None:
    """dbt logs each statement's text; the ledger's statements carry every synced key."""
    first = sync_cli.run()
    assert first.result is not None, first.stderr
    again = sync_cli.run()  # retries the rejected rows: looks up their earlier attempts
    assert again.result is not None, again.stderr
    warehouse = sync_cli.dbt_env.warehouse
    (state_schema,) = {schema for schema, name in warehouse.tables() if name == "clarify_sync_rows"}
    keys = {
        row[0] for row in warehouse.sql(f'select row_key from "{state_schema}".clarify_sync_rows')
    }
    logged = "".join(
        log.read_text(errors="replace") for log in (sync_cli.dbt_env.project_dir / "logs").glob("*")
    )
    assert "clarify_sync_rows" in logged  # the log holds the sync's other statements
    assert len(keys) > 100
    quoted = {key: (f"'{key}'", f'"{key}"') for key in keys - {""}}
    assert sorted(key for key, forms in quoted.items() if any(f in logged for f in forms)) == []
