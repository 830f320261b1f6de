"""The client over real HTTP against the local emulator: the path a user's sync takes."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from dbt_clarify.clarify import ClarifyAuthError, ClarifyClient, ClientOptions
from dbt_clarify.emulator import FAULT_KINDS, Emulator, EmulatorConfig
from dbt_clarify.emulator.gateway import Gateway
from dbt_clarify.settings import ClarifySettings

pytestmark = pytest.mark.anyio

KEY = "emulator-test-key"
BULK = "POST /objects/{object}/records/bulk"
FAST_RETRIES = ClientOptions(
    timeout_s=0.5, max_attempts=12, backoff_initial_s=0.05, backoff_max_s=0.5
)


@pytest.fixture(scope="module")
def running() -> Iterator[Emulator]:
    config = EmulatorConfig(workspace="acme", api_key=KEY, seed=1, rate_limit_per_minute=None)
    with Emulator(config) as emulator:
        yield emulator


@pytest.fixture
def emulator(running: Emulator) -> Emulator:
    """The shared emulator, emptied and back on its test defaults."""
    running.config.update(
        {
            "fault_rate": 0.0,
            "faults": FAULT_KINDS,
            "latency_ms": 0.0,
            "slow_seconds": 1.0,
            "bulk_batch_cap": 25,
            "links_next_http": True,
            "schema_delay_s": 0.3,
        }
    )
    running.reset()
    return running


def _settings(emulator: Emulator, key: str = KEY, workspace: str = "acme") -> ClarifySettings:
    return ClarifySettings(api_key=SecretStr(key), workspace=workspace, api_url=emulator.url)


def _client(emulator: Emulator, options: ClientOptions = FAST_RETRIES) -> ClarifyClient:
    return ClarifyClient(_settings(emulator), options)


def _person(i: int, email: str | None = None) -> dict[str, Any]:
    return {
        "email_addresses": {"items": [email or f"person{i}@example.com"]},
        "name": {"first_name": f"First{i}", "last_name": f"Last{i}"},
        "job_title": f"Title {i % 7}",
    }


def _company(i: int, domain: str | None = None) -> dict[str, Any]:
    return {"domains": {"items": [domain or f"company{i}.example.com"]}, "name": f"Company {i}"}


def _items(record: dict[str, Any], field: str) -> list[str]:
    return list(record[field]["items"])


async def test_faulty_network_ends_with_exactly_the_records_and_appended_collections(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="dbt_clarify.clarify")
    async with _client(emulator) as client:
        # Records Clarify already holds, each with an extra email or domain of its own.
        seed_people = [
            {"email_addresses": {"items": [f"person{i}@example.com", f"extra{i}@old.example"]}}
            for i in range(0, 2000, 20)
        ]
        seed_companies = [
            {"domains": {"items": [f"company{i}.example.com", f"extra{i}.old.example"]}}
            for i in range(0, 300, 10)
        ]
        assert all(
            o.ok
            for o in await client.upsert_many("person", seed_people, match_on="email_addresses")
        )
        assert all(
            o.ok for o in await client.upsert_many("company", seed_companies, match_on="domains")
        )

        emulator.config.update({"fault_rate": 0.2, "faults": FAULT_KINDS, "slow_seconds": 1.0})
        # Upper-case emails and domains must still match the stored lower-case ones.
        people = [_person(i, f"Person{i}@Example.com") for i in range(2000)]
        companies = [_company(i, f"COMPANY{i}.example.com") for i in range(300)]
        person_outcomes, company_outcomes = await asyncio.gather(
            client.upsert_many(
                "person", people, match_on="email_addresses", append=["email_addresses"]
            ),
            client.upsert_many("company", companies, match_on="domains", append=["domains"]),
        )
        emulator.config.update({"fault_rate": 0.0})
        stats = client.stats

    assert [o.index for o in person_outcomes] == list(range(2000))
    assert all(o.ok for o in person_outcomes + company_outcomes)
    assert all(person_outcomes[i].created is False for i in range(0, 2000, 20))

    counts = emulator.request_counts()
    statuses = {status for (endpoint, status) in counts if endpoint == BULK}
    assert {0, 429, 500, 502, 503} <= statuses, "every fault kind was met"
    assert "ReadTimeout" in caplog.text, "a slow answer outlasted the client's timeout"
    assert "RemoteProtocolError" in caplog.text, "a connection was dropped"
    assert stats.retries > 0

    stored_people = emulator.records("person")
    assert len(stored_people) == 2000
    ids_by_email = {}
    for record in stored_people:
        for email in _items(record, "email_addresses"):
            assert email.lower() not in ids_by_email, f"{email} is on two records"
            ids_by_email[email.lower()] = record["_id"]
    for i in range(2000):
        assert f"person{i}@example.com" in ids_by_email
        assert person_outcomes[i].record_id == ids_by_email[f"person{i}@example.com"]
    for i in range(0, 2000, 20):
        assert ids_by_email[f"extra{i}@old.example"] == ids_by_email[f"person{i}@example.com"]
    assert sum(len(_items(r, "email_addresses")) for r in stored_people) == 2000 + 100

    stored_companies = emulator.records("company")
    assert len(stored_companies) == 300
    domains = [d.lower() for r in stored_companies for d in _items(r, "domains")]
    assert len(domains) == len(set(domains)) == 300 + 30
    by_domain = {d.lower(): r for r in stored_companies for d in _items(r, "domains")}
    for i in range(0, 300, 10):
        assert by_domain[f"extra{i}.old.example"] is by_domain[f"company{i}.example.com"]
        assert by_domain[f"company{i}.example.com"]["name"] == f"Company {i}"


async def test_invalid_records_in_a_batch_of_100_are_reported_and_the_rest_land(
    emulator: Emulator,
) -> None:
    emulator.config.update({"bulk_batch_cap": 100})
    people = [_person(i) for i in range(100)]
    people[10]["email_addresses"] = {"items": ["not-an-email"]}
    people[50]["labels"] = ["vip"]
    people[99]["name"] = {"first_name": "Ann", "nickname": "A"}
    async with _client(emulator, ClientOptions(batch_size=100)) as client:
        outcomes = await client.upsert_many("person", people, match_on="email_addresses")
        bulk_requests = client.stats.for_endpoint(BULK)

    bad = {o.index: o.error for o in outcomes if not o.ok}
    assert set(bad) == {10, 50, 99}
    assert not any(o.transient for o in outcomes)
    assert {i: (e.status, e.field) for i, e in bad.items() if e} == {
        10: (422, "email_addresses"),
        50: (422, "labels"),
        99: (422, "name.nickname"),
    }
    assert "not a valid email address" in (bad[10].detail if bad[10] else "")
    assert len(emulator.records("person")) == 97
    assert bulk_requests == 2, "the pointers let one resend land the other 97"


async def test_other_readings_of_the_api_numeric_statuses_and_dated_retry_after(
    emulator: Emulator,
) -> None:
    emulator.config.update(
        {
            "error_status_as_string": False,
            "retry_after_as_date": True,
            "faults": ("429",),
            "fault_rate": 0.3,
        }
    )
    people = [_person(i) for i in range(30)]
    people[7]["job_title"] = 42
    async with _client(emulator) as client:
        outcomes = await client.upsert_many("person", people, match_on="email_addresses")
        rate_limited = client.stats.rate_limited
    emulator.config.update({"fault_rate": 0.0})
    assert [o.index for o in outcomes if not o.ok] == [7]
    error = outcomes[7].error
    assert error is not None
    assert (error.status, error.field) == (422, "job_title")
    assert rate_limited > 0
    assert len(emulator.records("person")) == 29


async def test_by_default_32_bulk_requests_are_out_at_once_while_answers_are_slow(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At Clarify's pace, about rate x latency requests are out at once: the client's default
    cap lets a bulk endpoint keep its 3,000 a minute while an answer takes up to 0.64 s."""
    pause = Gateway._pause
    lock = threading.Lock()
    waiting = [0, 0]  # now, most at once

    def counted_pause(self: Gateway, seconds: float) -> None:
        with lock:
            waiting[0] += 1
            waiting[1] = max(waiting)
        try:
            pause(self, seconds)
        finally:
            with lock:
                waiting[0] -= 1

    monkeypatch.setattr(Gateway, "_pause", counted_pause)
    emulator.config.update({"bulk_batch_cap": 100, "latency_ms": 300.0})
    options = ClientOptions()
    async with _client(emulator, options) as client:
        outcomes = await client.upsert_many(
            "person", [_person(i) for i in range(4000)], match_on="email_addresses"
        )
    assert all(o.ok for o in outcomes)
    assert waiting[1] == options.concurrency == 32


async def test_413_shrinks_the_batch_for_the_rest_of_the_run(emulator: Emulator) -> None:
    async with _client(emulator, ClientOptions(batch_size=100, concurrency=2)) as client:
        outcomes = await client.upsert_many(
            "company", [_company(i) for i in range(200)], match_on="domains"
        )
        assert client.batch_size == 25
    assert all(o.ok for o in outcomes)
    assert len(emulator.records("company")) == 200
    assert emulator.request_counts()[(BULK, 413)] >= 2


async def test_listing_pages_past_500_by_offset(emulator: Emulator) -> None:
    emulator.config.update({"bulk_batch_cap": 100, "links_next_http": True})
    companies = [
        {**_company(i), "industry": "Retail" if i % 3 == 0 else "Software"} for i in range(1234)
    ]
    async with _client(emulator, ClientOptions(batch_size=100)) as client:
        assert all(o.ok for o in await client.upsert_many("company", companies, match_on="domains"))
        listed = [r async for r in client.list_records("company")]
        retail = [r async for r in client.list_records("company", [("industry", "Is", "Retail")])]
    assert len(listed) == 1234
    assert len({r["id"] for r in listed}) == 1234
    assert {r["type"] for r in listed} == {"company"}
    assert len(retail) == 412
    assert {r["attributes"]["industry"] for r in retail} == {"Retail"}


async def test_find_by_unique_ignores_case_and_near_misses(emulator: Emulator) -> None:
    async with _client(emulator) as client:
        await client.upsert_many(
            "company",
            [_company(1, "acme.com.au"), _company(2, "Acme.com"), _company(3, "notacme.com")],
            match_on="domains",
        )
        found = await client.find_by_unique("company", "domains", "ACME.COM")
        missing = await client.find_by_unique("company", "domains", "acme.org")
    assert found is not None
    assert found["attributes"]["name"] == "Company 2"
    assert missing is None


async def test_create_fields_waits_for_the_schema_and_outlasts_a_409(emulator: Emulator) -> None:
    options = ClientOptions(max_attempts=12, backoff_initial_s=0.1, backoff_max_s=0.5)
    async with _client(emulator, options) as client:
        await asyncio.gather(
            client.create_fields(
                "person",
                {"lifecycle_stage": {"type": ["string", "null"], "enum": ["Lead", "Customer"]}},
            ),
            client.create_fields("company", {"arr": {"type": ["number", "null"]}}),
        )
        schemas = await client.get_schemas()
        stats = client.stats
    assert "lifecycle_stage" in schemas["person"].fields
    assert schemas["person"].fields["lifecycle_stage"].enum == ("Lead", "Customer")
    assert "arr" in schemas["company"].fields
    assert stats.sent[("POST /schemas/{object}/properties", 409)] >= 1
    assert stats.sent[("POST /schemas/{object}/properties", 202)] == 2


async def test_wrong_key_or_workspace_raises_auth_error_without_retrying(
    emulator: Emulator,
) -> None:
    for settings, message in [
        (_settings(emulator, key="wrong-key"), "refused the API key"),
        (_settings(emulator, workspace="nope"), "no workspace 'nope'"),
    ]:
        async with ClarifyClient(settings, FAST_RETRIES) as client:
            with pytest.raises(ClarifyAuthError, match=message) as caught:
                await client.get_schemas()
            assert client.stats.total == 1
        assert "wrong-key" not in str(caught.value)
    counts = emulator.request_counts()
    assert counts[("GET /schemas", 401)] == 1
    assert counts[("GET /schemas", 404)] == 1
