"""GET /objects/{object}/resources: ANDed filters with case-sensitive operators, and pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from dbt_clarify.emulator import Emulator

from .client import Workspace


@pytest.fixture
def deals(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.bulk_batch_cap = None
    batch = [
        {"name": "Acme renewal", "stage": "Won", "amount": 100, "close_date": "2024-01-15"},
        {"name": "Globex pilot", "stage": "Proposal", "amount": 50.5, "close_date": "2024-03-01"},
        {"name": "Initech", "stage": "Lost", "amount": 7},
        {"name": "acme upsell", "stage": "Prospecting"},
    ]
    assert ws.bulk("deal", batch).status_code == 200


def _names(ws: Workspace, **params: str) -> list[str]:
    response = ws.list("deal", **params)
    assert response.status_code == 200, response.text
    return [r["attributes"]["name"] for r in response.json()["data"]]


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("stage", "Is", "Won", ["Acme renewal"]),
        ("stage", "Is", "won", []),
        ("stage", "Is not", "Won", ["Globex pilot", "Initech", "acme upsell"]),
        ("name", "Contains", "ACME", ["Acme renewal", "acme upsell"]),
        ("name", "Does not contain", "acme", ["Globex pilot", "Initech"]),
        ("close_date", "Is empty", "", ["Initech", "acme upsell"]),
        ("amount", "Is not empty", "", ["Acme renewal", "Globex pilot", "Initech"]),
        ("close_date", "Is after", "2024-02-01", ["Globex pilot"]),
        ("close_date", "Is before", "2024-02-01", ["Acme renewal"]),
        ("amount", "Is after", "50", ["Acme renewal", "Globex pilot"]),
        ("amount", "Is", "50.5", ["Globex pilot"]),
    ],
)
def test_filter_operators(
    ws: Workspace, deals: None, field: str, operator: str, value: str, expected: list[str]
) -> None:
    assert _names(ws, **{f"filter[{field}][{operator}]": value}) == expected


def test_conditions_are_anded(ws: Workspace, deals: None) -> None:
    params = {"filter[name][Contains]": "acme", "filter[stage][Is]": "Won"}
    assert _names(ws, **params) == ["Acme renewal"]


@pytest.mark.parametrize("operator", ["is", "IS", "Equals", "Is After"])
def test_unknown_or_miscased_operator_is_400(ws: Workspace, operator: str) -> None:
    response = ws.list("deal", **{f"filter[name][{operator}]": "x"})
    assert response.status_code == 400
    assert Workspace.errors(response)[0]["source"] == {"parameter": f"filter[name][{operator}]"}


@pytest.mark.parametrize(
    ("field", "operator"),
    [("nickname", "Is"), ("name", "Is after"), ("amount", "Contains"), ("close_date", "Is")],
)
def test_bad_filters_are_400(ws: Workspace, field: str, operator: str) -> None:
    value = "soon" if field == "close_date" else "x"
    assert ws.list("deal", **{f"filter[{field}][{operator}]": value}).status_code == 400


def test_collections_allow_only_substring_and_emptiness(ws: Workspace) -> None:
    people = [
        {"email_addresses": {"items": ["Jane@Acme.com", "jane@home.org"]}},
        {"email_addresses": {"items": ["bob@globex.com"]}},
        {"job_title": "No email"},
    ]
    assert ws.bulk("person", people).status_code == 200

    def emails(**params: str) -> list[object]:
        response = ws.list("person", **params)
        assert response.status_code == 200, response.text
        return [
            r["attributes"].get("email_addresses", {}).get("items") for r in response.json()["data"]
        ]

    assert emails(**{"filter[email_addresses][Contains]": "ACME.COM"}) == [
        ["Jane@Acme.com", "jane@home.org"]
    ]
    assert emails(**{"filter[email_addresses][Does not contain]": "acme"}) == [
        ["bob@globex.com"],
        None,
    ]
    assert emails(**{"filter[email_addresses][Is empty]": ""}) == [None]
    for operator in ("Is", "Is not", "Is not empty"):
        params = {f"filter[email_addresses][{operator}]": "bob@globex.com"}
        assert ws.list("person", **params).status_code == 400


def test_nested_parts_can_be_filtered(ws: Workspace) -> None:
    assert ws.create("person", {"name": {"first_name": "Jane"}}).status_code == 201
    response = ws.list("person", **{"filter[name.first_name][Is]": "Jane"})
    assert response.json()["meta"]["total_records"] == 1
    assert ws.list("person", **{"filter[name][Is]": "Jane"}).status_code == 400


def test_pages_meta_and_links(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.bulk_batch_cap = None
    assert ws.bulk("company", [{"name": f"C{i:03}"} for i in range(120)]).status_code == 200

    first = ws.list("company").json()
    assert len(first["data"]) == 50
    assert first["meta"] == {"total_records": 120, "offset": 0, "limit": 50}
    assert first["links"]["prev"] is None
    next_url = urlsplit(first["links"]["next"])
    assert next_url.scheme == "http"
    assert parse_qs(next_url.query)["page[offset]"] == ["50"]

    last = ws.list("company", **{"page[offset]": "100", "page[limit]": "50"}).json()
    assert [r["attributes"]["name"] for r in last["data"]] == [f"C{i:03}" for i in range(100, 120)]
    assert last["links"]["next"] is None
    assert parse_qs(urlsplit(last["links"]["prev"]).query)["page[offset]"] == ["50"]


def test_page_limit_is_capped_at_500(ws: Workspace) -> None:
    assert ws.list("company", **{"page[limit]": "500"}).status_code == 200
    for bad in ("501", "0", "-1", "ten"):
        assert ws.list("company", **{"page[limit]": bad}).status_code == 400
    assert ws.list("company", **{"page[offset]": "-5"}).status_code == 400


def test_links_use_https_when_the_http_quirk_is_off(
    ws: Workspace, emulator: Emulator, deals: None
) -> None:
    emulator.config.links_next_http = False
    links = ws.list("deal", **{"page[limit]": "1"}).json()["links"]
    assert links["next"].startswith("https://")
    assert "filter" not in links["next"]
    assert parse_qs(urlsplit(links["next"]).query)["page[limit]"] == ["1"]


def test_filters_are_kept_in_links(ws: Workspace, deals: None) -> None:
    params = {"filter[name][Contains]": "acme", "page[limit]": "1"}
    links = ws.list("deal", **params).json()["links"]
    assert parse_qs(urlsplit(links["next"]).query)["filter[name][Contains]"] == ["acme"]
