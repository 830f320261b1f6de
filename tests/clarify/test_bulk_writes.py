"""Atomic bulk batches resolved per record, against a small respx stand-in for Clarify.

The stand-in rejects a whole batch when any record in it is marked bad, naming bad records by
pointer in one of three styles (all, only the first, none), so the client must stay correct
however little Clarify tells it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import respx

from dbt_clarify.clarify import ClarifyRequestError
from dbt_clarify.errors import ClarifyError

if TYPE_CHECKING:
    from .conftest import MakeClient

pytestmark = pytest.mark.anyio

BULK = "/objects/person/records/bulk"


class AtomicBulk:
    """Applies a batch only when every record is good; remembers what landed."""

    def __init__(
        self, pointers: str = "all", cap: int | None = None, *, too_large: int = 413, bad: int = 422
    ) -> None:
        self.pointers = pointers
        self.cap = cap
        self.too_large = too_large
        self.bad = bad
        self.landed: dict[str, dict[str, Any]] = {}
        self.batch_sizes: list[int] = []
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        data = body["data"]
        self.batch_sizes.append(len(data))
        if self.cap is not None and len(data) > self.cap:
            error = {"status": self.too_large, "title": "Too large", "source": {"pointer": "/data"}}
            return httpx.Response(self.too_large, json={"errors": [error]})
        bad = [i for i, item in enumerate(data) if item["attributes"].get("bad")]
        if bad:
            return httpx.Response(self.bad, json={"errors": self._errors(data, bad)})
        out = []
        for item in data:
            key = item["attributes"]["key"]
            created = key not in self.landed
            self.landed[key] = item["attributes"]
            stamp = "2024-01-01T00:00:00Z"
            out.append(
                {
                    "type": "person",
                    "id": f"id-{key}",
                    "attributes": {
                        "_created_at": stamp,
                        "_updated_at": stamp if created else "2024-01-02T00:00:00Z",
                    },
                }
            )
        return httpx.Response(200, json={"data": out})

    def _errors(self, data: list[dict[str, Any]], bad: list[int]) -> list[dict[str, Any]]:
        if self.pointers == "none":
            return [{"status": "422", "title": "Invalid input", "detail": "something is wrong"}]
        named = bad if self.pointers == "all" else bad[:1]
        return [
            {
                "status": 422,  # a number here, a string elsewhere: both are accepted
                "title": "Invalid input",
                "detail": f"{data[i]['attributes']['bad']} is not valid",
                "source": {"pointer": f"/data/{i}/attributes/email_addresses"},
            }
            for i in named
        ]


def _records(count: int, bad: set[int]) -> list[dict[str, Any]]:
    return [{"key": f"k{i}", **({"bad": f"value-{i}"} if i in bad else {})} for i in range(count)]


@pytest.mark.parametrize("pointers", ["all", "first", "none"])
async def test_every_good_record_lands_and_every_bad_one_has_its_reason(
    api: respx.MockRouter, make_client: MakeClient, pointers: str
) -> None:
    server = AtomicBulk(pointers)
    api.post(BULK).side_effect = server
    bad = {3, 4, 40, 77}
    async with make_client(batch_size=25) as client:
        outcomes = await client.upsert_many("person", _records(100, bad), match_on="key")
        splits = client.stats.splits
    assert [o.index for o in outcomes] == list(range(100))
    assert set(server.landed) == {f"k{i}" for i in range(100) if i not in bad}
    for o in outcomes:
        if o.index in bad:
            assert not o.ok
            assert not o.transient
            assert o.error is not None
            assert o.error.status == 422
            if pointers != "none":
                assert o.error.detail == f"value-{o.index} is not valid"
                assert o.error.field == "email_addresses"
        else:
            assert o.ok
            assert o.record_id == f"id-k{o.index}"
            assert o.created is True
    assert splits > 0
    if pointers == "all":
        # Pointers name every bad record: one rejected attempt per bad batch, then the rest.
        assert len(server.batch_sizes) == 4 + 3


async def test_second_upsert_reports_updates(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    api.post(BULK).side_effect = AtomicBulk()
    async with make_client() as client:
        first = await client.upsert_many("person", _records(3, set()), match_on="key")
        second = await client.upsert_many("person", _records(3, set()), match_on="key")
    assert [o.created for o in first] == [True, True, True]
    assert [o.created for o in second] == [False, False, False]


async def test_body_carries_match_on_and_append_meta(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    server = AtomicBulk()
    api.post(BULK).side_effect = server
    async with make_client() as client:
        await client.upsert_many(
            "person", _records(2, set()), match_on="key", append=["email_addresses"]
        )
    [body] = server.bodies
    assert body["match_on"] == "key"
    assert body["meta"] == {"email_addresses": {"collection": "append"}}
    assert body["data"][0] == {"type": "person", "attributes": {"key": "k0"}}


async def test_413_halves_the_batch_size_for_the_rest_of_the_run(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    server = AtomicBulk(cap=10)
    api.post(BULK).side_effect = server
    async with make_client(batch_size=40, concurrency=1) as client:
        outcomes = await client.upsert_many("person", _records(100, set()), match_on="key")
        assert client.batch_size == 10
        assert client.stats.batch_shrinks == 2
        later = await client.upsert_many("person", _records(30, set()), match_on="key")
    assert all(o.ok for o in outcomes + later)
    assert len(server.landed) == 100
    # 40 -> 413, 20 -> 413, then everything in tens; the later call starts at ten.
    assert server.batch_sizes[:2] == [40, 20]
    assert set(server.batch_sizes[2:]) == {10}
    assert server.batch_sizes[-3:] == [10, 10, 10]


async def test_a_400_blaming_no_record_above_25_counts_as_too_large(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    """Clarify may refuse a batch over its cap with 400 rather than 413: learn the size once."""
    server = AtomicBulk(cap=25, too_large=400)
    api.post(BULK).side_effect = server
    async with make_client(batch_size=100, concurrency=1) as client:
        outcomes = await client.upsert_many("person", _records(300, set()), match_on="key")
        assert client.batch_size == 25
    assert all(o.ok for o in outcomes)
    assert server.batch_sizes[:3] == [100, 50, 25]
    assert set(server.batch_sizes[3:]) == {25}
    assert len(server.batch_sizes) == 2 + 300 // 25


async def test_a_400_within_25_records_splits_without_shrinking(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    server = AtomicBulk("none", bad=400)
    api.post(BULK).side_effect = server
    async with make_client(batch_size=20, concurrency=1) as client:
        outcomes = await client.upsert_many("person", _records(40, {3}), match_on="key")
        assert client.batch_size == 20
    assert [o.index for o in outcomes if not o.ok] == [3]
    assert len(server.landed) == 39


async def test_a_single_record_too_large_is_rejected_not_retried(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    api.post(BULK).side_effect = lambda request: httpx.Response(413)
    async with make_client(batch_size=2) as client:
        outcomes = await client.upsert_many("person", _records(2, set()), match_on="key")
        assert client.batch_size == 1
    assert [o.error.status if o.error else None for o in outcomes] == [413, 413]
    assert not any(o.transient for o in outcomes)


async def test_conflict_naming_a_record_sets_it_aside(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        data = json.loads(request.content)["data"]
        keys = [d["attributes"]["key"] for d in data]
        if "k1" in keys:
            pointer = f"/data/{keys.index('k1')}/attributes/key"
            return httpx.Response(
                409,
                json={
                    "errors": [
                        {"status": "409", "detail": "matches 2", "source": {"pointer": pointer}}
                    ]
                },
            )
        return httpx.Response(200, json={"data": [{"id": k, "attributes": {}} for k in keys]})

    route = api.post(BULK)
    route.side_effect = server
    async with make_client() as client:
        outcomes = await client.upsert_many("person", _records(3, set()), match_on="key")
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error is not None
    assert outcomes[1].error.field == "key"
    assert outcomes[0].created is None, "no timestamps, no guess"
    assert route.call_count == 2


async def test_update_many_reports_unknown_ids(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    known = {"a", "c"}

    def server(request: httpx.Request) -> httpx.Response:
        data = json.loads(request.content)["data"]
        missing = [i for i, d in enumerate(data) if d["id"] not in known]
        if missing:
            errors = [{"status": "404", "detail": f"no person {data[i]['id']}"} for i in missing]
            return httpx.Response(404, json={"errors": errors})
        return httpx.Response(200, json={"data": [{"id": d["id"], "attributes": {}} for d in data]})

    api.patch("/objects/person/records").side_effect = server
    updates = [(i, {"job_title": "CTO"}) for i in ("a", "b", "c")]
    async with make_client() as client:
        outcomes = await client.update_many("person", updates)
    assert [(o.record_id, o.ok, o.created) for o in outcomes] == [
        ("a", True, False),
        (None, False, None),
        ("c", True, False),
    ]
    assert outcomes[1].error is not None
    assert outcomes[1].error.detail == "no person b"


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: httpx.Response(404, json={"errors": [{"detail": "unknown object"}]}),
        lambda request: httpx.Response(200, json={"data": []}),
    ],
)
async def test_answers_that_no_split_can_fix_raise(
    api: respx.MockRouter,
    make_client: MakeClient,
    answer: Callable[[httpx.Request], httpx.Response],
) -> None:
    api.post(BULK).side_effect = answer
    async with make_client() as client:
        with pytest.raises(ClarifyError):
            await client.upsert_many("person", _records(2, set()), match_on="key")


async def test_a_fault_of_the_request_itself_raises_without_splitting(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    route = api.post(BULK)
    route.side_effect = lambda request: httpx.Response(
        422,
        json={
            "errors": [{"detail": "match_on must be unique", "source": {"pointer": "/match_on"}}]
        },
    )
    async with make_client() as client:
        with pytest.raises(ClarifyRequestError, match="match_on must be unique"):
            await client.upsert_many("person", _records(50, set()), match_on="key")
    assert route.call_count <= 2, "one refused request per worker at most, no splitting"


async def test_nothing_to_write_sends_nothing(
    api: respx.MockRouter, make_client: MakeClient
) -> None:
    route = api.post(BULK)
    async with make_client() as client:
        assert await client.upsert_many("person", [], match_on="key") == []
    assert route.call_count == 0
