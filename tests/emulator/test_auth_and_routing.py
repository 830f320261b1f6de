"""Routes live under /v1/workspaces/{workspace}; only `Authorization: api-key <KEY>` gets in."""

from __future__ import annotations

import httpx
import pytest

from dbt_clarify.emulator import Emulator

from .client import API_KEY, Workspace


def test_unknown_workspace_is_404(anonymous: httpx.Client) -> None:
    response = anonymous.get(
        "/v1/workspaces/other/schemas", headers={"Authorization": f"api-key {API_KEY}"}
    )
    assert response.status_code == 404
    assert "unknown workspace" in Workspace.details(response)


@pytest.mark.parametrize(
    "authorization",
    [None, f"Bearer {API_KEY}", "api-key wrong-key", f"Api-Key {API_KEY}", f"api-key  {API_KEY}"],
)
def test_anything_but_the_api_key_scheme_and_key_is_401(
    anonymous: httpx.Client, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = anonymous.get("/v1/workspaces/acme/schemas", headers=headers)
    assert response.status_code == 401
    [error] = Workspace.errors(response)
    assert error["status"] == "401"
    assert error["title"] == "Unauthorized"


def test_unknown_route_is_404_in_json_api_error_form(ws: Workspace) -> None:
    response = ws.http.get("/nothing/here")
    assert response.status_code == 404
    assert set(Workspace.errors(response)[0]) >= {"status", "title", "detail"}


def test_wrong_method_on_a_known_path_is_405(ws: Workspace) -> None:
    assert ws.http.put("/objects/person/records", json={}).status_code == 405


def test_unknown_object_is_404(ws: Workspace) -> None:
    response = ws.create("c_unknown", {"name": "x"})
    assert response.status_code == 404


def test_error_status_is_a_string_or_a_number_by_switch(emulator: Emulator, ws: Workspace) -> None:
    bad = {"email_addresses": ["jane@acme.com"]}
    assert Workspace.errors(ws.create("person", bad))[0]["status"] == "422"
    emulator.config.error_status_as_string = False
    assert Workspace.errors(ws.create("person", bad))[0]["status"] == 422


def test_unknown_query_parameter_is_400_but_silent_is_accepted(ws: Workspace) -> None:
    body = {"data": {"type": "company", "attributes": {"name": "Acme"}}}
    assert ws.http.post("/objects/company/records?silent=true", json=body).status_code == 201
    response = ws.http.post("/objects/company/records?quiet=true", json=body)
    assert response.status_code == 400
    assert Workspace.errors(response)[0]["source"] == {"parameter": "quiet"}
    assert ws.http.get("/schemas?silent=true").status_code == 400


def test_body_must_be_json(ws: Workspace) -> None:
    url = "/objects/company/records"
    text = ws.http.post(url, content=b"name=Acme", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    broken = ws.http.post(url, content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    nan = ws.http.post(
        url,
        content=b'{"data": {"type": "company", "attributes": {"employee_count": NaN}}}',
        headers={"Content-Type": "application/json"},
    )
    assert nan.status_code == 400
