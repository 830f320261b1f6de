"""GET /schemas in the documented JSON Schema form; custom fields appear asynchronously."""

from __future__ import annotations

import time

import httpx
import pytest

from dbt_clarify.clarify.schema import ObjectSchema, parse_schemas
from dbt_clarify.emulator import Emulator

from .client import Workspace
from .conftest import SCHEMA_DELAY_S


def _schemas(ws: Workspace) -> dict[str, ObjectSchema]:
    response = ws.http.get("/schemas")
    assert response.status_code == 200
    return parse_schemas(response.json())


def _add_fields(ws: Workspace, object_name: str, attributes: object) -> httpx.Response:
    body = {"data": {"type": "schema-properties", "attributes": attributes}}
    return ws.http.post(f"/schemas/{object_name}/properties", json=body)


def test_parse_schemas_reads_the_default_objects(ws: Workspace) -> None:
    schemas = _schemas(ws)
    assert set(schemas) == {"person", "company", "deal"}
    person, company, deal = schemas["person"], schemas["company"], schemas["deal"]
    assert all(person.fields[f].read_only for f in ("_id", "_created_at", "_updated_at"))
    assert set(person.fields["name"].properties) == {"first_name", "last_name", "full_name"}
    assert person.resolve("name.first_name") is not None
    emails = person.fields["email_addresses"]
    assert emails.is_collection
    assert emails.unique
    assert emails.item is not None
    assert emails.item.format == "email"
    assert person.fields["phone_numbers"].is_collection
    assert person.fields["labels"].is_collection
    assert person.fields["job_title"].value_type == "string"
    assert person.fields["company_id"].relationship == "company"
    assert person.unique_fields == ("email_addresses",)
    assert company.unique_fields == ("domains",)
    assert company.fields["domains"].is_collection
    assert company.fields["employee_count"].value_type == "integer"
    assert company.fields["industry"].nullable
    assert deal.unique_fields == ("name",)
    assert deal.fields["stage"].enum == ("Prospecting", "Qualified", "Proposal", "Won", "Lost")
    assert deal.fields["amount"].value_type == "number"
    assert deal.fields["close_date"].format == "date"
    assert deal.fields["company_id"].relationship == "company"


def test_legacy_person_fields_switch(emulator: Emulator, ws: Workspace) -> None:
    emulator.config.legacy_person_fields = True
    person = _schemas(ws)["person"]
    assert {"first_name", "last_name", "title"} <= set(person.fields)
    assert "name" not in person.fields
    assert "job_title" not in person.fields
    assert ws.create("person", {"first_name": "Jane", "title": "CTO"}).status_code == 201
    assert ws.create("person", {"name": {"first_name": "Jane"}}).status_code == 422


def test_custom_field_is_accepted_then_appears_and_becomes_writable_later(
    ws: Workspace,
) -> None:
    definition = {"type": ["string", "null"], "title": "Lifecycle", "enum": ["Lead", "Customer"]}
    response = _add_fields(ws, "person", {"lifecycle_stage": definition})
    assert response.status_code == 202
    assert response.content == b""
    assert "lifecycle_stage" not in _schemas(ws)["person"].fields
    assert ws.create("person", {"lifecycle_stage": "Lead"}).status_code == 422
    time.sleep(SCHEMA_DELAY_S + 0.05)
    field = _schemas(ws)["person"].fields["lifecycle_stage"]
    assert field.enum == ("Lead", "Customer")
    assert ws.create("person", {"lifecycle_stage": "Lead"}).status_code == 201
    assert ws.create("person", {"lifecycle_stage": "lead"}).status_code == 422


def test_schema_change_while_one_is_pending_is_409(ws: Workspace) -> None:
    assert _add_fields(ws, "person", {"tier": {"type": "string"}}).status_code == 202
    response = _add_fields(ws, "company", {"segment": {"type": "string"}})
    assert response.status_code == 409
    assert "Schema is being modified by another request" in Workspace.details(response)
    time.sleep(SCHEMA_DELAY_S + 0.05)
    assert _add_fields(ws, "company", {"segment": {"type": "string"}}).status_code == 202


def test_custom_field_on_unknown_object_is_404(ws: Workspace) -> None:
    assert _add_fields(ws, "c_nothing", {"tier": {"type": "string"}}).status_code == 404


@pytest.mark.parametrize(("name", "status"), [("job_title", 400), ("_id", 422), ("id", 422)])
def test_custom_field_with_a_taken_or_reserved_name_is_refused(
    ws: Workspace, name: str, status: int
) -> None:
    response = _add_fields(ws, "person", {name: {"type": "string"}})
    assert response.status_code == status
    assert Workspace.pointers(response) == [f"/data/attributes/{name}"]


@pytest.mark.parametrize(
    "definition",
    [
        {"type": "object"},
        {"type": "array"},
        {"type": "string", "format": "email"},
        {"type": "number", "enum": ["1", "2"]},
        {"type": "string", "enum": []},
        {"type": "string", "xClarifyUnique": True},
        {"title": "no type"},
    ],
)
def test_invalid_custom_field_definition_is_422(ws: Workspace, definition: dict) -> None:
    response = _add_fields(ws, "person", {"tier": definition})
    assert response.status_code == 422, response.text
    assert all(p.startswith("/data/attributes/tier") for p in Workspace.pointers(response))


def test_custom_field_values_are_checked_by_type(ws: Workspace) -> None:
    fields = {
        "score": {"type": ["number", "null"]},
        "seats": {"type": ["integer", "null"]},
        "is_active": {"type": ["boolean", "null"]},
        "renewal_on": {"type": ["string", "null"], "format": "date"},
    }
    assert _add_fields(ws, "company", fields).status_code == 202
    time.sleep(SCHEMA_DELAY_S + 0.05)
    good = {"score": 1.5, "seats": 3, "is_active": True, "renewal_on": "2025-01-31"}
    assert ws.create("company", good).status_code == 201
    bad = {"score": "1.5", "seats": 3.5, "is_active": "yes", "renewal_on": "31/01/2025"}
    response = ws.create("company", bad)
    assert response.status_code == 422
    assert sorted(Workspace.pointers(response)) == sorted(f"/data/attributes/{f}" for f in bad)


def test_custom_object_is_served_and_upserts_on_its_unique_key(
    emulator: Emulator, ws: Workspace
) -> None:
    emulator.add_custom_object(
        "c_project",
        {"code": {"type": ["string", "null"]}, "budget": {"type": ["number", "null"]}},
        unique="code",
    )
    project = _schemas(ws)["c_project"]
    assert project.unique_fields == ("code",)
    assert "_id" in project.fields
    first = ws.create("c_project", {"code": "P-1", "budget": 10}, match_on="code")
    again = ws.create("c_project", {"code": "P-1", "budget": 20}, match_on="code")
    assert (first.status_code, again.status_code) == (201, 200)
    assert [r["budget"] for r in emulator.records("c_project")] == [20]
    assert ws.create("c_project", {"code": "P-1"}).status_code == 400
