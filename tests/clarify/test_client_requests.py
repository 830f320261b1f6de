"""Listing, lookups and custom fields over respx: the requests sent and how answers are read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx

from dbt_clarify.clarify import ClarifyRequestError
from dbt_clarify.errors import ClarifyError

if TYPE_CHECKING:
    from .conftest import FakeTime, MakeClient

pytestmark = pytest.mark.anyio

RESOURCES = "/objects/company/resources"


def _company(i: int, *domains: str) -> dict[str, Any]:
    return {"type": "company", "id": f"c{i}", "attributes": {"domains": {"items": list(domains)}}}


def _paged(records: list[dict[str, Any]]) -> Any:
    """Answers pages by offset, with a ``links.next`` the client must not follow."""

    def answer(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["page[limit]"])
        offset = int(request.url.params["page[offset]"])
        page = records[offset : offset + limit]
        links = {"next": "http://elsewhere.invalid/do-not-follow", "prev": None}
        meta = {"total_records": len(records), "offset": offset, "limit": limit}
        return httpx.Response(200, json={"data": page, "meta": meta, "links": links})

    return answer


async def test_list_records_pages_by_offset(api: respx.MockRouter, make_client: MakeClient) -> None:
    records = [_company(i, f"d{i}.io") for i in range(23)]
    route = api.get(RESOURCES)
    route.side_effect = _paged(records)
    async with make_client() as client:
        seen = [
            r
            async for r in client.list_records(
                "company", [("industry", "Is", "Retail")], page_size=10
            )
        ]
    assert seen == records
    assert route.call_count == 3
    offsets = [c.request.url.params["page[offset]"] for c in route.calls]
    assert offsets == ["0", "10", "20"]
    assert all(c.request.url.params["filter[industry][Is]"] == "Retail" for c in route.calls)
    assert all(c.request.url.host == "api.clarify.test" for c in route.calls)


async def test_page_size_is_capped_at_500(api: respx.MockRouter, make_client: MakeClient) -> None:
    route = api.get(RESOURCES)
    route.side_effect = _paged([])
    async with make_client() as client:
        assert [r async for r in client.list_records("company", page_size=5000)] == []
    assert route.calls.last.request.url.params["page[limit]"] == "500"


async def test_find_by_unique_checks_equality_ignoring_case(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    # Contains is a substring match: the answer holds near misses the client must drop.
    route = api.get(RESOURCES)
    route.side_effect = _paged([_company(1, "acme.com.au"), _company(2, "x.io", "ACME.com")])
    async with make_client() as client:
        found = await client.find_by_unique("company", "domains", "acme.com")
    assert found is not None
    assert found["id"] == "c2"
    assert route.calls.last.request.url.params["filter[domains][Contains]"] == "acme.com"


async def test_find_by_unique_none_and_several(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    route = api.get(RESOURCES)
    route.side_effect = _paged([_company(1, "acme.com.au")])
    async with make_client() as client:
        assert await client.find_by_unique("company", "domains", "acme.com") is None
        route.side_effect = _paged([_company(1, "acme.com"), _company(2, "Acme.com")])
        ambiguous = r"2 company records have domains 'acme\.com': c1, c2"
        with pytest.raises(ClarifyError, match=ambiguous):
            await client.find_by_unique("company", "domains", "acme.com")


def _schemas(*fields: str) -> httpx.Response:
    properties = {name: {"type": ["string", "null"]} for name in ("name", *fields)}
    resource = {
        "id": "https://x/schemas/entities/person",
        "type": "schema",
        "attributes": {"properties": properties},
    }
    return httpx.Response(200, json={"data": [resource]})


async def test_create_fields_retries_409_then_waits_for_the_schema(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    post = api.post("/schemas/person/properties")
    post.side_effect = [
        httpx.Response(409, json={"errors": [{"detail": "Schema is being modified"}]}),
        httpx.Response(202),
    ]
    get = api.get("/schemas")
    get.side_effect = [_schemas(), _schemas("stage"), _schemas("stage", "score")]
    fields = {"stage": {"type": ["string", "null"]}, "score": {"type": ["number", "null"]}}
    async with make_client() as client:
        await client.create_fields("person", fields)
    assert post.call_count == 2
    assert get.call_count == 3
    body = post.calls.last.request.content
    assert b'"type":"schema-properties"' in body.replace(b" ", b"")


async def test_create_fields_gives_up_after_wait_s(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    api.post("/schemas/person/properties").side_effect = [httpx.Response(202)]
    api.get("/schemas").side_effect = lambda request: _schemas()
    async with make_client() as client:
        with pytest.raises(ClarifyError, match="stage did not appear on person within 5 s"):
            await client.create_fields("person", {"stage": {"type": "string"}}, wait_s=5)
    assert 3.0 <= fake_time.now <= 5.0


async def test_create_fields_refusal_raises(api: respx.MockRouter, make_client: MakeClient) -> None:
    api.post("/schemas/person/properties").side_effect = [
        httpx.Response(400, json={"errors": [{"status": "400", "detail": "field exists"}]})
    ]
    async with make_client() as client:
        with pytest.raises(ClarifyRequestError, match="field exists"):
            await client.create_fields("person", {"name": {"type": "string"}})


async def test_single_record_calls_use_the_record_route(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    record = {"type": "person", "id": "a/b", "attributes": {}}
    get = api.get("/objects/person/records/a%2Fb")
    get.side_effect = [httpx.Response(200, json={"data": record})]
    patch = api.patch("/objects/person/records/a%2Fb")
    patch.side_effect = [httpx.Response(200, json={"data": record})]
    delete = api.delete("/objects/person/records/a%2Fb")
    delete.side_effect = [httpx.Response(204)]
    bulk_delete = api.delete("/objects/person/records")
    bulk_delete.side_effect = lambda request: httpx.Response(204)
    async with make_client(batch_size=2) as client:
        assert await client.get_record("person", "a/b") == record
        assert await client.update_record("person", "a/b", {"job_title": "CEO"}) == record
        await client.delete_record("person", "a/b")
        await client.delete_records("person", ["1", "2", "3"])
    assert b'"id":"a/b"' in patch.calls.last.request.content.replace(b" ", b"")
    assert bulk_delete.call_count == 2
    assert delete.calls.last.request.url.params["silent"] == "true"


async def test_each_request_carries_the_key_and_json_headers_and_no_cookie(
    api: respx.MockRouter, make_client: MakeClient, api_key: str
) -> None:
    """Clarify authenticates by key alone, so a cookie it sets is not sent back."""
    answer = _paged([_company(1, "d1.io")])

    def with_cookie(request: httpx.Request) -> httpx.Response:
        response = answer(request)
        response.headers["Set-Cookie"] = "lb=blue; Path=/"
        return response

    route = api.get(RESOURCES)
    route.side_effect = with_cookie
    async with make_client() as client:
        for _ in range(2):
            assert [r async for r in client.list_records("company", [], page_size=10)]
    sent = [c.request for c in route.calls]
    assert len(sent) == 2
    assert all(r.headers["Authorization"] == f"api-key {api_key}" for r in sent)
    assert all(r.headers["Accept"] == "application/json" for r in sent)
    assert all(r.url.params["page[offset]"] == "0" for r in sent)
    assert [r.headers.get("Cookie") for r in sent] == [None, None]
