"""POST /objects/{object}/records/bulk: all records applied in order, or none at all."""

from __future__ import annotations

import pytest

from dbt_clarify.emulator import Emulator

from .client import Workspace


def _people(*emails: str) -> list[dict]:
    return [{"email_addresses": {"items": [email]}} for email in emails]


def test_bulk_answers_every_record_in_request_order(ws: Workspace, emulator: Emulator) -> None:
    existing = ws.created_id("person", {"email_addresses": ws.items("b@acme.com")})
    response = ws.bulk(
        "person", _people("c@acme.com", "B@acme.com", "a@acme.com"), match_on="email_addresses"
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert [r["attributes"]["email_addresses"]["items"] for r in data] == [
        ["c@acme.com"],
        ["B@acme.com"],
        ["a@acme.com"],
    ]
    assert all(r["type"] == "person" and r["id"] == r["attributes"]["_id"] for r in data)
    assert data[1]["id"] == existing
    assert data[1]["attributes"]["_updated_at"] > data[1]["attributes"]["_created_at"]
    assert data[0]["attributes"]["_updated_at"] == data[0]["attributes"]["_created_at"]
    assert len(emulator.records("person")) == 3


def test_one_bad_record_rejects_the_batch_listing_every_error(
    ws: Workspace, emulator: Emulator
) -> None:
    records = [
        {"email_addresses": {"items": ["ok@acme.com"]}},
        {"email_addresses": {"items": ["not-an-email"]}},
        {"email_addresses": {"items": ["fine@acme.com"]}, "job_title": 7},
        {"email_addresses": {"items": ["x@acme.com"]}, "nickname": "X"},
    ]
    response = ws.bulk("person", records)
    assert response.status_code == 422
    assert sorted(Workspace.pointers(response)) == [
        "/data/1/attributes/email_addresses",
        "/data/2/attributes/job_title",
        "/data/3/attributes/nickname",
    ]
    assert emulator.records("person") == []


def test_value_errors_alone_make_the_batch_400(ws: Workspace, emulator: Emulator) -> None:
    response = ws.bulk("deal", [{"name": "A", "amount": 1}, {"name": "B", "amount": 10**13}])
    assert response.status_code == 400
    assert Workspace.pointers(response) == ["/data/1/attributes/amount"]
    assert emulator.records("deal") == []


@pytest.mark.parametrize("match_on", [None, "email_addresses"])
def test_duplicate_key_inside_a_batch_in_any_case_rejects_it(
    ws: Workspace, emulator: Emulator, match_on: str | None
) -> None:
    body = {"match_on": match_on} if match_on else {}
    response = ws.bulk("person", _people("jane@acme.com", "x@acme.com", "JANE@ACME.COM"), **body)
    assert response.status_code == 400
    assert Workspace.pointers(response) == ["/data/2/attributes/email_addresses"]
    assert "/data/0" in Workspace.details(response)
    assert emulator.records("person") == []


def test_two_records_of_a_batch_matching_one_record_reject_it(
    ws: Workspace, emulator: Emulator
) -> None:
    ws.created_id("company", {"domains": ws.items("acme.com", "acme.io")})
    batch = [{"domains": {"items": ["acme.com"]}}, {"domains": {"items": ["acme.io"]}}]
    response = ws.bulk("company", batch, match_on="domains")
    assert response.status_code == 400
    assert Workspace.pointers(response) == ["/data/1"]
    assert len(emulator.records("company")) == 1


@pytest.mark.parametrize(("cap", "allowed"), [(25, 25), (100, 100)])
def test_more_records_than_the_batch_cap_is_413(
    ws: Workspace, emulator: Emulator, cap: int, allowed: int
) -> None:
    emulator.config.bulk_batch_cap = cap
    emails = [f"p{i}@acme.com" for i in range(allowed + 1)]
    assert ws.bulk("person", _people(*emails)).status_code == 413
    assert emulator.records("person") == []
    assert ws.bulk("person", _people(*emails[:allowed])).status_code == 200


def test_no_batch_cap_when_switched_off(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.bulk_batch_cap = None
    emails = [f"p{i}@acme.com" for i in range(300)]
    assert ws.bulk("person", _people(*emails)).status_code == 200
    assert len(emulator.records("person")) == 300


def test_a_bulk_request_costs_one_rate_limit_slot(ws: Workspace) -> None:
    emails = [f"p{i}@acme.com" for i in range(25)]
    first = ws.bulk("person", _people(*emails))
    second = ws.bulk("person", _people("z@acme.com"))
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in (first, second)]
    assert remaining == [2999, 2998]


def test_empty_batch_is_422(ws: Workspace) -> None:
    assert ws.bulk("person", []).status_code == 422
