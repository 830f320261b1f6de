"""PATCH, GET and DELETE by id; an unknown id fails the whole call with 404."""

from __future__ import annotations

from dbt_clarify.emulator import Emulator

from .client import Workspace


def test_bulk_patch_keeps_omitted_attributes(ws: Workspace, emulator: Emulator) -> None:
    first = ws.created_id("company", {"name": "Acme", "industry": "Tools"})
    second = ws.created_id("company", {"name": "Globex", "industry": "Energy"})
    response = ws.patch(
        "company", {first: {"industry": "Software"}, second: {"name": "Globex Inc"}}
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["data"]] == [first, second]
    by_id = {r["_id"]: r for r in emulator.records("company")}
    assert (by_id[first]["name"], by_id[first]["industry"]) == ("Acme", "Software")
    assert (by_id[second]["name"], by_id[second]["industry"]) == ("Globex Inc", "Energy")


def test_bulk_patch_with_one_unknown_id_is_404_and_applies_nothing(
    ws: Workspace, emulator: Emulator
) -> None:
    known = ws.created_id("company", {"name": "Acme"})
    response = ws.patch("company", {known: {"name": "Changed"}, "missing-id": {"name": "X"}})
    assert response.status_code == 404
    assert Workspace.pointers(response) == ["/data/1/id"]
    assert emulator.records("company")[0]["name"] == "Acme"


def test_bulk_patch_needs_ids(ws: Workspace) -> None:
    body = {"data": [{"type": "company", "attributes": {"name": "X"}}]}
    response = ws.http.patch("/objects/company/records", json=body)
    assert response.status_code == 422
    assert Workspace.pointers(response) == ["/data/0/id"]


def test_patch_one_record(ws: Workspace, emulator: Emulator) -> None:
    person_id = ws.created_id("person", {"name": {"first_name": "Jane", "last_name": "Doe"}})
    body = {
        "data": {"type": "person", "id": person_id, "attributes": {"name": {"first_name": "J"}}}
    }
    response = ws.http.patch(f"/objects/person/records/{person_id}", json=body)
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["name"] == {"first_name": "J", "last_name": "Doe"}
    body["data"]["id"] = "another-id"
    mismatch = ws.http.patch(f"/objects/person/records/{person_id}", json=body)
    assert mismatch.status_code == 422
    unknown = ws.http.patch("/objects/person/records/nope", json=body)
    assert unknown.status_code == 404


def test_get_one_record(ws: Workspace) -> None:
    company_id = ws.created_id("company", {"name": "Acme"})
    response = ws.http.get(f"/objects/company/records/{company_id}")
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["name"] == "Acme"
    assert ws.http.get("/objects/company/records/nope").status_code == 404
    assert ws.http.get(f"/objects/person/records/{company_id}").status_code == 404


def test_delete_one_record(ws: Workspace, emulator: Emulator) -> None:
    company_id = ws.created_id("company", {"name": "Acme", "domains": ws.items("acme.com")})
    response = ws.http.delete(f"/objects/company/records/{company_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert emulator.records("company") == []
    assert ws.http.delete(f"/objects/company/records/{company_id}").status_code == 404
    # the deleted record's unique domain is free again
    assert ws.create("company", {"domains": ws.items("acme.com")}).status_code == 201


def test_bulk_delete(ws: Workspace, emulator: Emulator) -> None:
    ids = [ws.created_id("company", {"name": name}) for name in ("A", "B", "C")]
    url = "/objects/company/records"
    unknown = ws.http.request("DELETE", url, json={"items": [ids[0], "nope"]})
    assert unknown.status_code == 404
    assert len(emulator.records("company")) == 3
    response = ws.http.request("DELETE", url, json={"items": ids[:2]})
    assert response.status_code == 204
    assert [r["name"] for r in emulator.records("company")] == ["C"]
