"""``dbt-clarify validate`` as a user runs it: each mismatch on a line of its own, exit code 2,
and nothing written anywhere."""

from __future__ import annotations

import pytest

from e2e.conftest import SyncCli, write_requests
from e2e.schema_yml import SCHEMA_FILE, Models, block, column, edit_models

pytestmark = pytest.mark.dbt


def _schemas_in_warehouse(sync_cli: SyncCli) -> set[str]:
    rows = sync_cli.dbt_env.sql("select schema_name from information_schema.schemata")
    return {name for (name,) in rows}


def test_a_project_that_fits_passes(sync_cli: SyncCli) -> None:
    schemas_before = _schemas_in_warehouse(sync_cli)

    run = sync_cli.run(command="validate")

    assert run.exit_code == 0, run.stderr
    assert "clarify_companies -> company: ok (columns from the warehouse)" in run.stdout
    assert "clarify_people -> person: ok (columns from the warehouse)" in run.stdout
    assert "Error" not in run.stderr
    assert write_requests(sync_cli.emulator) == 0
    assert _schemas_in_warehouse(sync_cli) == schemas_before  # no state schema either


def _break_every_way(models: Models) -> None:
    people, companies = models["clarify_people"], models["clarify_companies"]
    block(people)["fields"]["title"] = "job_titel"  # a field Clarify lacks
    block(people)["fields"]["nickname"] = "labels"  # a column the model lacks
    # an accepted value the select field lacks
    test = column(people, "lifecycle_stage")["data_tests"][0]["accepted_values"]
    test["arguments"]["values"].append("Churned")
    # a text column into a number field
    del block(companies)["fields"]["employee_count"]
    block(companies)["fields"]["industry"] = "employee_count"


def test_each_mismatch_is_one_line_naming_model_file_and_key(sync_cli: SyncCli) -> None:
    edit_models(sync_cli.dbt_env.project_dir, _break_every_way)

    run = sync_cli.run(command="validate")

    assert run.exit_code == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    expected = {
        "clarify_people": [
            ("fields.title", "unknown field 'job_titel'"),
            ("fields.nickname", "unknown column 'nickname'"),
            ("fields.lifecycle_stage", "'Churned'"),
        ],
        "clarify_companies": [("fields.industry", "holds whole numbers")],
    }
    assert len(errors) == sum(len(v) for v in expected.values()), run.stderr
    for model, problems in expected.items():
        for key, words in problems:
            prefix = f"Error: {model} ({SCHEMA_FILE}): config.meta.clarify.{key}: "
            assert any(e.startswith(prefix) and words in e for e in errors), (key, run.stderr)
    assert "4 problem(s) in 2 of 2 sync model(s); nothing was written." in run.stderr
    assert write_requests(sync_cli.emulator) == 0
    assert sync_cli.emulator.records("person") == []


@pytest.mark.warehouses("duckdb")  # refused before any warehouse is touched
def test_validate_needs_the_api_key_to_read_clarifys_schema(sync_cli: SyncCli) -> None:
    env = sync_cli.env()
    del env["CLARIFY_API_KEY"]
    run = sync_cli.run(command="validate", env=env)
    assert run.exit_code == 2
    assert "CLARIFY_API_KEY is not set" in run.stderr
