"""Every value is checked before anything is stored: 422 for shapes and types, 400 for
numbers that do not fit DECIMAL(16,4)."""

from __future__ import annotations

from typing import Any

import pytest

from dbt_clarify.emulator import Emulator

from .client import Workspace


def _refused(ws: Workspace, object_name: str, attributes: Any, status: int = 422) -> str:
    """Create must fail with ``status``; returns the error pointer(s)."""
    response = ws.create(object_name, attributes)
    assert response.status_code == status, response.text
    return " ".join(Workspace.pointers(response))


def test_writing_a_system_field_is_422(ws: Workspace, emulator: Emulator) -> None:
    pointer = _refused(ws, "company", {"name": "Acme", "_created_at": "2020-01-01T00:00:00Z"})
    assert pointer == "/data/attributes/_created_at"
    assert emulator.records("company") == []


def test_unknown_attribute_is_422(ws: Workspace) -> None:
    assert _refused(ws, "company", {"name": "Acme", "revenue": 1}) == "/data/attributes/revenue"


def test_id_on_create_is_422(ws: Workspace) -> None:
    body = {"data": {"type": "company", "id": "abc", "attributes": {"name": "Acme"}}}
    response = ws.http.post("/objects/company/records", json=body)
    assert response.status_code == 422
    assert Workspace.pointers(response) == ["/data/id"]


def test_wrong_resource_type_is_422(ws: Workspace) -> None:
    body = {"data": {"type": "companies", "attributes": {"name": "Acme"}}}
    response = ws.http.post("/objects/company/records", json=body)
    assert response.status_code == 422
    assert Workspace.pointers(response) == ["/data/type"]


def test_collection_as_a_bare_array_is_422(ws: Workspace) -> None:
    pointer = _refused(ws, "person", {"email_addresses": ["jane@acme.com"]})
    assert pointer == "/data/attributes/email_addresses"


@pytest.mark.parametrize("value", [None, {"values": []}, {"items": "a@b.co"}])
def test_collection_in_another_shape_is_422(ws: Workspace, value: Any) -> None:
    assert _refused(ws, "person", {"email_addresses": value})


def test_empty_items_clears_a_collection(ws: Workspace, emulator: Emulator) -> None:
    person_id = ws.created_id("person", {"labels": ws.items("vip", "beta")})
    response = ws.patch("person", {person_id: {"labels": ws.items()}})
    assert response.status_code == 200
    assert emulator.records("person")[0]["labels"] == {"items": []}


@pytest.mark.parametrize(
    "email", ["jane", "jane@", "@acme.com", "jane@acme", " jane@acme.com", "jane@@acme.com"]
)
def test_email_items_must_be_valid_addresses(ws: Workspace, email: str) -> None:
    assert _refused(ws, "person", {"email_addresses": ws.items("ok@acme.com", email)})


@pytest.mark.parametrize("domain", ["https://acme.com", "acme.com/", "acme", "acme .com"])
def test_domain_items_must_be_bare_hosts(ws: Workspace, domain: str) -> None:
    assert _refused(ws, "company", {"domains": ws.items(domain)})


def test_enum_values_are_case_sensitive(ws: Workspace) -> None:
    assert ws.create("deal", {"name": "D1", "stage": "Won"}).status_code == 201
    response = ws.create("deal", {"name": "D2", "stage": "won"})
    assert response.status_code == 422
    assert "case-sensitive" in Workspace.details(response)


@pytest.mark.parametrize("amount", [10**12, -(10**12), 1.23456, 1e-5, 1e300])
def test_numbers_outside_decimal_16_4_are_400(ws: Workspace, amount: float) -> None:
    assert _refused(ws, "deal", {"name": "D", "amount": amount}, status=400)


@pytest.mark.parametrize("amount", [999_999_999_999.9999, -5, 0.1, 1.2345, 0])
def test_numbers_inside_decimal_16_4_are_accepted(ws: Workspace, amount: float) -> None:
    assert ws.create("deal", {"name": "D", "amount": amount}).status_code == 201


@pytest.mark.parametrize("value", ["1", True, 2.5])
def test_integer_field_takes_only_integers(ws: Workspace, value: Any) -> None:
    assert _refused(ws, "company", {"employee_count": value})


@pytest.mark.parametrize(
    "close_date", ["2024-1-05", "05/01/2024", "2024-02-30", "2024-01-05T00:00"]
)
def test_dates_must_be_yyyy_mm_dd(ws: Workspace, close_date: str) -> None:
    assert _refused(ws, "deal", {"name": "D", "close_date": close_date})


def test_company_id_must_reference_an_existing_company(ws: Workspace) -> None:
    assert (
        _refused(ws, "person", {"company_id": "no-such-company"}) == "/data/attributes/company_id"
    )
    company_id = ws.created_id("company", {"name": "Acme"})
    assert ws.create("person", {"company_id": company_id}).status_code == 201


def test_nested_name_takes_only_its_own_parts(ws: Workspace) -> None:
    pointer = _refused(ws, "person", {"name": {"first_name": "Jane", "middle": "Q"}})
    assert pointer == "/data/attributes/name/middle"
    assert _refused(ws, "person", {"name": "Jane Doe"}) == "/data/attributes/name"


def test_strings_must_be_strings(ws: Workspace) -> None:
    assert _refused(ws, "person", {"job_title": 42}) == "/data/attributes/job_title"


def test_null_clears_a_nullable_scalar(ws: Workspace, emulator: Emulator) -> None:
    person_id = ws.created_id("person", {"job_title": "CTO"})
    assert ws.patch("person", {person_id: {"job_title": None}}).status_code == 200
    assert emulator.records("person")[0]["job_title"] is None


def test_deal_needs_a_name_on_create(ws: Workspace) -> None:
    assert _refused(ws, "deal", {"amount": 5}) == "/data/attributes/name"


def test_unknown_top_level_key_is_422(ws: Workspace) -> None:
    body = {"data": {"type": "company", "attributes": {}}, "options": {}}
    response = ws.http.post("/objects/company/records", json=body)
    assert response.status_code == 422
    assert Workspace.pointers(response) == ["/options"]
