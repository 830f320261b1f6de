"""``dbt-clarify fields`` as a user runs it: the missing custom fields appear in Clarify, typed
from the project, and the next sync lands its rows in them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dbt_clarify.clarify.schema import ObjectSchema, parse_schemas
from dbt_clarify.emulator import Emulator, EmulatorConfig
from e2e.conftest import API_KEY, WORKSPACE, SyncCli
from e2e.schema_yml import Models, block, edit_models
from e2e.seeds import expected_companies, expected_people
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

CREATE_FIELDS = "POST /schemas/{object}/properties"


@pytest.fixture
def bare_clarify() -> Iterator[Emulator]:
    """A workspace with no custom fields, whose schema changes take a while to show."""
    config = EmulatorConfig(
        workspace=WORKSPACE, api_key=API_KEY, rate_limit_per_minute=None, schema_delay_s=0.5
    )
    with Emulator(config) as emulator:
        yield emulator


def _schemas(emulator: Emulator) -> dict[str, ObjectSchema]:
    response = httpx.get(
        f"{emulator.url}/v1/workspaces/{WORKSPACE}/schemas",
        headers={"Authorization": f"api-key {API_KEY}"},
    )
    response.raise_for_status()
    return parse_schemas(response.json())


def _creations(emulator: Emulator) -> dict[int, int]:
    """Status -> count of requests to create fields."""
    counts = emulator.request_counts().items()
    return {status: n for (endpoint, status), n in counts if endpoint == CREATE_FIELDS}


def _map_headcount(models: Models) -> None:
    fields = block(models["clarify_companies"])["fields"]
    del fields["employee_count"]
    fields["employee_count"] = "headcount"


def test_fields_creates_what_the_mappings_need_and_the_sync_lands_in_them(
    dbt_env: DbtEnv, bare_clarify: Emulator
) -> None:
    cli = SyncCli(dbt_env, bare_clarify)
    edit_models(dbt_env.project_dir, _map_headcount)

    planned = cli.run("--dry-run", command="fields")
    assert planned.exit_code == 0, planned.stderr
    assert "Would create 2 field(s)" in planned.stdout
    assert "person.lifecycle_stage: select (Lead, MQL, SQL, Customer)" in planned.stdout
    assert "company.headcount: integer, for clarify_companies.employee_count" in planned.stdout
    assert _creations(bare_clarify) == {}

    created = cli.run(command="fields")

    assert created.exit_code == 0, created.stderr
    assert "Created 2 field(s)" in created.stdout
    assert _creations(bare_clarify) == {202: 2}  # one request per object
    schemas = _schemas(bare_clarify)  # shown at once: the command waited for them
    stage = schemas["person"].fields["lifecycle_stage"]
    assert stage.enum == ("Lead", "MQL", "SQL", "Customer")
    assert schemas["company"].fields["headcount"].value_type == "integer"

    synced = cli.run()
    assert synced.model("clarify_companies")["rejected"] == 0, synced.stderr
    companies = {r["domains"]["items"][0]: r for r in bare_clarify.records("company")}
    for domain, seed in expected_companies().items():
        assert companies[domain]["headcount"] == int(seed["employee_count"])
    people = {
        email: record
        for record in bare_clarify.records("person")
        for email in record["email_addresses"]["items"]
    }
    for email, person in expected_people().items():
        assert people[email]["lifecycle_stage"] == person.lifecycle_stage

    again = cli.run(command="fields")
    assert again.exit_code == 0, again.stderr
    assert "nothing to create" in again.stdout
    assert _creations(bare_clarify) == {202: 2}
