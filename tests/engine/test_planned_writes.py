"""A plan's stand-in for the client's writes, against the emulator over real HTTP: it answers
created or updated as the real upsert then does, counts the requests the client then sends,
and sends no write itself. And the pacing time it reports is the client's own pacing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from dbt_clarify.clarify import ClarifyClient, ClientOptions
from dbt_clarify.clarify.ratelimit import EndpointPacer
from dbt_clarify.emulator import Emulator, EmulatorConfig
from dbt_clarify.engine import planned_writes
from dbt_clarify.engine.plan import seconds_at_rate_limit
from dbt_clarify.engine.planned_writes import PlannedWrites
from dbt_clarify.settings import ClarifySettings

pytestmark = pytest.mark.anyio

KEY = "plan-test-key"
BULK = ("POST", "/objects/{object}/records/bulk", "person")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(workspace="acme", api_key=KEY, rate_limit_per_minute=None)
    with Emulator(config) as running:
        yield running


def _client(emulator: Emulator, batch_size: int = 4) -> ClarifyClient:
    settings = ClarifySettings(api_key=SecretStr(KEY), workspace="acme", api_url=emulator.url)
    return ClarifyClient(settings, ClientOptions(batch_size=batch_size))


def _person(email: str) -> dict[str, Any]:
    return {"email_addresses": {"items": [email]}, "job_title": "Engineer"}


def _writes(emulator: Emulator) -> int:
    return sum(n for (e, _), n in emulator.request_counts().items() if not e.startswith("GET"))


async def test_planned_outcomes_and_requests_are_what_the_upsert_then_does(
    emulator: Emulator,
) -> None:
    async with _client(emulator) as client:
        await client.upsert_many(
            "person",
            [_person("Ann@Example.com"), _person("bob@example.com")],
            match_on="email_addresses",
        )
        records = [
            _person(e)
            for e in ("ann@example.com", "cy@example.com", "bob@example.com", "dee@example.com")
        ] + [_person(f"new{i}@example.com") for i in range(5)]
        writes_before = _writes(emulator)
        plan = PlannedWrites(client, await client.get_schemas(), samples=2)
        plan.start_model("person")

        planned = await plan.upsert_many("person", records, match_on="email_addresses")

        assert _writes(emulator) == writes_before
        bulk_before = client.stats.for_endpoint("POST /objects/{object}/records/bulk")
        done = await client.upsert_many("person", records, match_on="email_addresses")
        sent = client.stats.for_endpoint("POST /objects/{object}/records/bulk") - bulk_before
    assert [o.created for o in planned] == [o.created for o in done]
    assert [o.created for o in planned][:4] == [False, True, False, True]
    assert plan.requests.by_endpoint[BULK] == sent == 3
    assert plan.samples == [{"type": "person", "attributes": r} for r in records[:2]]
    assert plan.undetermined == 0


async def test_a_key_planned_as_created_is_an_update_later_in_the_plan(emulator: Emulator) -> None:
    async with _client(emulator) as client:
        plan = PlannedWrites(client, await client.get_schemas(), samples=0)
        first = await plan.upsert_many(
            "person", [_person("x@example.com")], match_on="email_addresses"
        )
        again = await plan.upsert_many(
            "person", [_person("X@example.com")], match_on="email_addresses"
        )
    assert (first[0].created, again[0].created) == (True, False)
    assert first[0].record_id == again[0].record_id
    assert emulator.records("person") == []


async def test_past_the_listing_limit_rows_are_create_or_update(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planned_writes, "INDEX_LIMIT", 2)
    async with _client(emulator) as client:
        await client.upsert_many(
            "person", [_person(f"p{i}@example.com") for i in range(3)], match_on="email_addresses"
        )
        plan = PlannedWrites(client, await client.get_schemas(), samples=0)
        plan.start_model("person")
        planned = await plan.upsert_many(
            "person",
            [_person("p0@example.com"), _person("q@example.com")],
            match_on="email_addresses",
        )
    assert [o.created for o in planned] == [None, None]
    assert plan.undetermined == 2


async def test_deletes_are_counted_in_batches_and_not_sent(emulator: Emulator) -> None:
    async with _client(emulator, batch_size=25) as client:
        plan = PlannedWrites(client, await client.get_schemas(), samples=0)
        await plan.delete_records("company", [f"id{i}" for i in range(51)], missing_ok=True)
    assert plan.requests.by_endpoint[("DELETE", "/objects/{object}/records", "company")] == 3
    assert _writes(emulator) == 0


@pytest.mark.parametrize("past_burst", [-1, 0, 1, 500, 3000])
async def test_the_time_at_the_rate_limit_is_the_clients_pacing(past_burst: int) -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = EndpointPacer(3000, clock=lambda: now[0], sleep=sleep)
    requests = pacer.burst + past_burst  # either side of the burst, and well past it
    for _ in range(requests):
        await pacer.acquire()
    assert seconds_at_rate_limit({BULK: requests}, 3000) == pytest.approx(now[0], abs=0.01)


async def test_endpoints_are_paced_separately_and_added_up() -> None:
    person, company = BULK, ("POST", "/objects/{object}/records/bulk", "company")
    lookups = ("GET", "/objects/{object}/resources", "company")
    together = seconds_at_rate_limit({person: 300, company: 300, lookups: 300}, 3000)
    assert together == pytest.approx(
        seconds_at_rate_limit({person: 600}, 3000) + seconds_at_rate_limit({lookups: 300}, 3000)
    )
