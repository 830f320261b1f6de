"""POST /objects/{object}/records: a plain create refuses duplicates; match_on upserts."""

from __future__ import annotations

from dbt_clarify.emulator import Emulator

from .client import Workspace


def test_create_returns_the_record_with_system_fields(ws: Workspace, emulator: Emulator) -> None:
    response = ws.create("person", {"email_addresses": ws.items("jane@acme.com")})
    assert response.status_code == 201
    record = response.json()["data"]
    assert record["type"] == "person"
    attributes = record["attributes"]
    assert attributes["_id"] == record["id"]
    assert attributes["_created_at"] == attributes["_updated_at"]
    assert attributes["_created_at"].endswith("Z")
    assert attributes["email_addresses"] == {"items": ["jane@acme.com"]}
    assert emulator.records("person") == [attributes]


def test_create_without_match_on_refuses_a_taken_unique_value_ignoring_case(
    ws: Workspace, emulator: Emulator
) -> None:
    ws.created_id("person", {"email_addresses": ws.items("jane@acme.com")})
    response = ws.create("person", {"email_addresses": ws.items("other@acme.com", "JANE@acme.com")})
    assert response.status_code == 400
    assert Workspace.pointers(response) == ["/data/attributes/email_addresses"]
    assert len(emulator.records("person")) == 1


def test_match_on_updates_the_one_matching_record(ws: Workspace, emulator: Emulator) -> None:
    first = ws.create("person", {"email_addresses": ws.items("jane@acme.com"), "job_title": "CTO"})
    created = first.json()["data"]["attributes"]
    response = ws.create(
        "person",
        {"email_addresses": ws.items("Jane@Acme.com"), "name": {"first_name": "Jane"}},
        match_on="email_addresses",
    )
    assert response.status_code == 200
    updated = response.json()["data"]["attributes"]
    assert updated["_id"] == created["_id"]
    assert updated["_created_at"] == created["_created_at"]
    assert updated["_updated_at"] > created["_updated_at"]
    assert updated["job_title"] == "CTO"
    assert updated["name"] == {"first_name": "Jane"}
    assert len(emulator.records("person")) == 1


def test_match_on_without_a_match_creates(ws: Workspace, emulator: Emulator) -> None:
    response = ws.create("company", {"domains": ws.items("acme.com")}, match_on="domains")
    assert response.status_code == 201
    assert len(emulator.records("company")) == 1


def test_match_on_matching_several_records_is_an_error(ws: Workspace, emulator: Emulator) -> None:
    ws.created_id("person", {"email_addresses": ws.items("a@acme.com")})
    ws.created_id("person", {"email_addresses": ws.items("b@acme.com")})
    response = ws.create(
        "person",
        {"email_addresses": ws.items("a@acme.com", "b@acme.com"), "job_title": "CEO"},
        match_on="email_addresses",
    )
    assert response.status_code == 409
    assert "matches 2 records" in Workspace.details(response)
    assert all("job_title" not in r for r in emulator.records("person"))


def test_domains_match_on_any_item_without_case(ws: Workspace, emulator: Emulator) -> None:
    company_id = ws.created_id("company", {"domains": ws.items("acme.com", "acme.io")})
    response = ws.create(
        "company", {"domains": ws.items("ACME.IO"), "industry": "Tools"}, match_on="domains"
    )
    assert response.status_code == 200
    assert response.json()["data"]["id"] == company_id
    [company] = emulator.records("company")
    assert company["industry"] == "Tools"


def test_deal_matches_on_its_exact_name(ws: Workspace, emulator: Emulator) -> None:
    ws.created_id("deal", {"name": "Acme renewal", "amount": 10})
    same = ws.create("deal", {"name": "Acme renewal", "amount": 20}, match_on="name")
    other_case = ws.create("deal", {"name": "acme renewal", "amount": 30}, match_on="name")
    assert (same.status_code, other_case.status_code) == (200, 201)
    assert sorted(d["amount"] for d in emulator.records("deal")) == [20, 30]


def test_match_on_must_name_a_unique_field(ws: Workspace) -> None:
    response = ws.create("person", {"job_title": "CTO"}, match_on="job_title")
    assert response.status_code == 422
    assert Workspace.pointers(response) == ["/match_on"]


def test_match_on_needs_a_value_in_the_record(ws: Workspace) -> None:
    response = ws.create("person", {"job_title": "CTO"}, match_on="email_addresses")
    assert response.status_code == 422
    assert Workspace.pointers(response) == ["/data/attributes/email_addresses"]
