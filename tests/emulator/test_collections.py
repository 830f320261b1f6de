"""Collection write strategies from the top-level meta: replace (default), append, remove."""

from __future__ import annotations

import pytest

from dbt_clarify.emulator import Emulator

from .client import Workspace

APPEND = {"email_addresses": {"collection": "append"}}


def _emails(emulator: Emulator) -> list[str]:
    [person] = emulator.records("person")
    items: list[str] = person["email_addresses"]["items"]
    return items


@pytest.fixture
def jane(ws: Workspace) -> str:
    return ws.created_id("person", {"email_addresses": ws.items("jane@acme.com", "j@home.org")})


def test_an_upsert_replaces_a_collection_by_default(
    ws: Workspace, emulator: Emulator, jane: str
) -> None:
    emails = ws.items("jane@acme.com", "jane@new.io")
    response = ws.create("person", {"email_addresses": emails}, match_on="email_addresses")
    assert response.status_code == 200
    assert _emails(emulator) == ["jane@acme.com", "jane@new.io"]


def test_append_adds_new_items_and_skips_known_ones_ignoring_case(
    ws: Workspace, emulator: Emulator, jane: str
) -> None:
    emails = ws.items("JANE@ACME.COM", "jane@new.io", "Jane@New.io")
    response = ws.create(
        "person", {"email_addresses": emails}, match_on="email_addresses", meta=APPEND
    )
    assert response.status_code == 200
    assert _emails(emulator) == ["jane@acme.com", "j@home.org", "jane@new.io"]


def test_remove_drops_the_given_items_ignoring_case(
    ws: Workspace, emulator: Emulator, jane: str
) -> None:
    meta = {"email_addresses": {"collection": "remove"}}
    response = ws.patch("person", {jane: {"email_addresses": ws.items("J@HOME.ORG")}}, meta=meta)
    assert response.status_code == 200
    assert _emails(emulator) == ["jane@acme.com"]


def test_patch_honours_append(ws: Workspace, emulator: Emulator, jane: str) -> None:
    response = ws.patch("person", {jane: {"email_addresses": ws.items("x@acme.com")}}, meta=APPEND)
    assert response.status_code == 200
    assert _emails(emulator) == ["jane@acme.com", "j@home.org", "x@acme.com"]


def test_append_on_labels_keeps_case_distinct_values(ws: Workspace, emulator: Emulator) -> None:
    person_id = ws.created_id("person", {"labels": ws.items("VIP")})
    meta = {"labels": {"collection": "append"}}
    assert ws.patch("person", {person_id: {"labels": ws.items("vip", "VIP")}}, meta=meta).is_success
    assert emulator.records("person")[0]["labels"] == {"items": ["VIP", "vip"]}


def test_meta_is_ignored_on_match_on_upserts_when_switched_off(
    ws: Workspace, emulator: Emulator, jane: str
) -> None:
    emulator.config.collection_meta_on_match_on = False
    emails = ws.items("jane@acme.com", "jane@new.io")
    response = ws.create(
        "person", {"email_addresses": emails}, match_on="email_addresses", meta=APPEND
    )
    assert response.status_code == 200
    assert _emails(emulator) == ["jane@acme.com", "jane@new.io"]


@pytest.mark.parametrize(
    ("meta", "pointer"),
    [
        ({"job_title": {"collection": "append"}}, "/meta/job_title"),
        ({"email_addresses": {"collection": "merge"}}, "/meta/email_addresses/collection"),
        ({"email_addresses": "append"}, "/meta/email_addresses"),
    ],
)
def test_invalid_meta_is_422(ws: Workspace, jane: str, meta: dict, pointer: str) -> None:
    response = ws.patch("person", {jane: {"job_title": "CTO"}}, meta=meta)
    assert response.status_code == 422
    assert Workspace.pointers(response) == [pointer]


def test_appending_a_value_owned_by_another_record_is_400(
    ws: Workspace, emulator: Emulator, jane: str
) -> None:
    ws.created_id("person", {"email_addresses": ws.items("bob@acme.com")})
    response = ws.patch(
        "person", {jane: {"email_addresses": ws.items("Bob@acme.com")}}, meta=APPEND
    )
    assert response.status_code == 400
    assert "jane@acme.com" in emulator.records("person")[0]["email_addresses"]["items"]
    assert "Bob@acme.com" not in emulator.records("person")[0]["email_addresses"]["items"]


def test_unique_values_follow_each_update(ws: Workspace, emulator: Emulator, jane: str) -> None:
    """The unique index is rewritten only when a record's unique values change; either way,
    matching sees the record as it now stands and a dropped value is free to take."""

    def matched(email: str) -> str:
        body = {"email_addresses": ws.items(email)}
        response = ws.create("person", body, match_on="email_addresses", meta=APPEND)
        assert response.status_code == 200
        record_id: str = response.json()["data"]["id"]
        return record_id

    assert ws.patch("person", {jane: {"job_title": "CTO"}}).status_code == 200
    assert matched("J@home.org") == jane
    assert ws.patch("person", {jane: {"email_addresses": ws.items("jane@new.io")}}).is_success
    assert matched("JANE@NEW.IO") == jane
    assert ws.create("person", {"email_addresses": ws.items("j@home.org")}).status_code == 201
    assert len(emulator.records("person")) == 2
