"""What the client retries, how long it waits, and when it stops; on fake time, over respx."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.utils import formatdate
from typing import TYPE_CHECKING

import httpx
import pytest
import respx

from dbt_clarify.clarify import (
    ClarifyAuthError,
    ClarifyRequestError,
    ClarifyUnavailableError,
)
from dbt_clarify.clarify.retry import RetryPolicy, parse_retry_after
from dbt_clarify.errors import ExitCode

if TYPE_CHECKING:
    from dbt_clarify.settings import ClarifySettings

    from .conftest import FakeTime, MakeClient

pytestmark = pytest.mark.anyio

SCHEMAS_OK = httpx.Response(200, json={"data": []})
PERSON = {"type": "person", "id": "p1", "attributes": {"_created_at": "t", "_updated_at": "t"}}


def _error(status: int, detail: str = "nope", pointer: str | None = None) -> httpx.Response:
    item: dict[str, object] = {"status": str(status), "title": "Error", "detail": detail}
    if pointer:
        item["source"] = {"pointer": pointer}
    return httpx.Response(status, json={"errors": [item]})


# -- Retry-After ------------------------------------------------------------------------------

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("-5", 0.0),
        ("86400", 60.0),
        ("inf", 60.0),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW + 3600, usegmt=True), 60.0),
        (formatdate(NOW - 120, usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        ("nan", None),
        ("Mon, 99 Foo 2024 99:99:99 GMT", None),
        (None, None),
    ],
)
def test_retry_after_table(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("header_at", "expected_wait"),
    [
        (lambda now: "2", 2.0),
        (lambda now: "120", 60.0),
        (lambda now: "-1", 0.0),
        (lambda now: formatdate(now + 9, usegmt=True), 9.0),
    ],
)
async def test_client_waits_what_retry_after_says(
    api: respx.MockRouter,
    make_client: MakeClient,
    fake_time: FakeTime,
    header_at: Callable[[float], str],
    expected_wait: float,
) -> None:
    header = header_at(fake_time.wall())
    api.get("/schemas").side_effect = [
        httpx.Response(429, headers={"Retry-After": header}),
        SCHEMAS_OK,
    ]
    async with make_client() as client:
        await client.get_schemas()
        assert fake_time.sleeps == [expected_wait]
        assert client.stats.rate_limited == 1
        assert client.stats.retries == 1


async def test_garbage_retry_after_falls_back_to_backoff(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    api.get("/schemas").side_effect = [
        httpx.Response(503, headers={"Retry-After": "later please"}),
        httpx.Response(503, headers={"Retry-After": "later please"}),
        SCHEMAS_OK,
    ]
    async with make_client(backoff_initial_s=1.0) as client:
        await client.get_schemas()
    first, second = fake_time.sleeps
    assert 0 <= first <= 1.0
    assert 0 <= second <= 2.0


# -- which answers are retried ----------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
async def test_transient_statuses_are_retried(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime, status: int
) -> None:
    route = api.get("/schemas")
    route.side_effect = [_error(status), _error(status), SCHEMAS_OK]
    async with make_client() as client:
        assert await client.get_schemas() == {}
    assert route.call_count == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow connect"),
        httpx.ReadTimeout("slow answer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
    ],
)
async def test_transport_failures_are_retried(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime, failure: Exception
) -> None:
    route = api.get("/schemas")
    route.side_effect = [failure, SCHEMAS_OK]
    async with make_client() as client:
        await client.get_schemas()
        assert client.stats.sent[("GET /schemas", 0)] == 1
        assert client.stats.sent[("GET /schemas", 200)] == 1
    assert route.call_count == 2


@pytest.mark.parametrize("status", [400, 404, 422])
async def test_permanent_refusals_are_not_retried(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime, status: int
) -> None:
    route = api.post("/objects/person/records")
    route.side_effect = [_error(status, "bad email", "/data/attributes/email_addresses")]
    async with make_client() as client:
        with pytest.raises(ClarifyRequestError) as caught:
            await client.create_record(
                "person", {"email_addresses": {"items": ["x"]}}, match_on=None
            )
    assert route.call_count == 1
    assert fake_time.sleeps == []
    assert caught.value.status == status
    assert caught.value.errors[0].field == "email_addresses"
    assert "bad email" in str(caught.value)


async def test_a_conflict_naming_a_record_is_not_retried(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    route = api.post("/objects/person/records")
    route.side_effect = [_error(409, "matches 2 records", "/data/attributes/email_addresses")]
    async with make_client() as client:
        with pytest.raises(ClarifyRequestError):
            await client.create_record("person", {}, match_on="email_addresses")
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("match_on", "failure", "attempts"),
    [
        (None, httpx.ReadTimeout("answer lost"), 1),
        (None, httpx.RemoteProtocolError("dropped"), 1),
        (None, _error(503), 1),
        (None, httpx.ConnectError("refused"), 3),
        (None, _error(429), 3),
        ("email_addresses", httpx.ReadTimeout("answer lost"), 3),
        ("email_addresses", _error(503), 3),
    ],
)
async def test_a_create_without_match_on_is_resent_only_when_surely_not_applied(
    api: respx.MockRouter,
    make_client: MakeClient,
    match_on: str | None,
    failure: Exception | httpx.Response,
    attempts: int,
) -> None:
    route = api.post("/objects/person/records")
    route.side_effect = [failure] * 3
    async with make_client(max_attempts=3) as client:
        with pytest.raises(ClarifyUnavailableError):
            await client.create_record("person", {}, match_on=match_on)
    assert route.call_count == attempts


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_key_raises_auth_error_at_once(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime, api_key: str, status: int
) -> None:
    route = api.get("/schemas")
    route.side_effect = [_error(status, f"invalid api key {api_key}")]
    async with make_client() as client:
        with pytest.raises(ClarifyAuthError) as caught:
            await client.get_schemas()
    assert route.call_count == 1
    assert caught.value.exit_code == ExitCode.CLARIFY
    assert "CLARIFY_API_KEY" in str(caught.value)
    assert "CLARIFY_WORKSPACE" in str(caught.value)
    assert api_key not in str(caught.value)


async def test_unknown_workspace_says_so(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    api.get("/schemas").side_effect = [_error(404, "unknown workspace 'acme'")]
    async with make_client() as client:
        with pytest.raises(ClarifyAuthError, match="no workspace 'acme'") as caught:
            await client.get_schemas()
    assert "CLARIFY_WORKSPACE" in str(caught.value)


async def test_bulk_auth_error_raises_instead_of_becoming_outcomes(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    api.post("/objects/person/records/bulk").side_effect = [_error(401)]
    async with make_client() as client:
        with pytest.raises(ClarifyAuthError):
            await client.upsert_many("person", [{"a": 1}], match_on="email_addresses")


# -- backoff ----------------------------------------------------------------------------------


def test_backoff_is_capped_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(backoff_initial_s=0.5, backoff_max_s=8.0)
    for attempt in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        waits = [policy.backoff(attempt) for _ in range(400)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 350, "jittered, not fixed"
        assert min(waits) < 0.1 * ceiling
        assert max(waits) > 0.9 * ceiling
    assert policy.backoff(10_000) <= 8.0


# -- bounds -----------------------------------------------------------------------------------


async def test_max_attempts_bounds_retries(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    route = api.get("/schemas")
    route.side_effect = lambda request: _error(503)
    async with make_client(max_attempts=4) as client:
        with pytest.raises(ClarifyUnavailableError) as caught:
            await client.get_schemas()
        assert client.stats.retries == 3
    assert route.call_count == 4
    assert len(fake_time.sleeps) == 3
    assert caught.value.status == 503
    assert caught.value.attempts == 4
    assert caught.value.exit_code == ExitCode.CLARIFY


async def test_deadline_stops_before_a_wait_that_would_overrun_it(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    route = api.get("/schemas")
    route.side_effect = lambda request: httpx.Response(429, headers={"Retry-After": "10"})
    async with make_client(max_attempts=100, deadline_s=25.0) as client:
        with pytest.raises(ClarifyUnavailableError):
            await client.get_schemas()
    # t=0 fail, wait 10; t=10 fail, wait 10; t=20 fail, a third wait would end at 30 > 25.
    assert route.call_count == 3
    assert fake_time.sleeps == [10.0, 10.0]


async def test_transient_failure_of_a_bulk_write_becomes_transient_outcomes(
    api: respx.MockRouter, make_client: MakeClient, fake_time: FakeTime
) -> None:
    api.post("/objects/person/records/bulk").side_effect = httpx.ReadTimeout("slow")
    records = [{"email_addresses": {"items": [f"p{i}@x.io"]}} for i in range(3)]
    async with make_client(max_attempts=2) as client:
        outcomes = await client.upsert_many("person", records, match_on="email_addresses")
    assert [o.index for o in outcomes] == [0, 1, 2]
    assert all(o.transient and not o.ok for o in outcomes)
    assert all(o.error is not None and o.error.status == 0 for o in outcomes)
    assert all("ReadTimeout after 2 attempts" in o.error.detail for o in outcomes if o.error)


# -- the key stays secret ---------------------------------------------------------------------


async def test_key_never_shows(
    api: respx.MockRouter,
    make_client: MakeClient,
    settings: ClarifySettings,
    api_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    api.get("/schemas").side_effect = lambda request: _error(503, f"echo {api_key}")
    api.post("/objects/person/records").side_effect = [_error(422, f"key {api_key} is odd")]
    client = make_client(max_attempts=3)
    async with client:
        with pytest.raises(ClarifyUnavailableError) as unavailable:
            await client.get_schemas()
        with pytest.raises(ClarifyRequestError) as refused:
            await client.create_record("person", {}, match_on=None)
    for text in (
        repr(client),
        str(client.stats),
        repr(settings),
        str(unavailable.value),
        repr(unavailable.value),
        str(refused.value),
        repr(refused.value.errors),
        caplog.text,
    ):
        assert api_key not in text
    assert "503" in str(unavailable.value)
    assert "**********" in str(refused.value)
    assert caplog.records, "retries were logged"


async def test_sends_auth_user_agent_and_silent(
    api: respx.MockRouter, make_client: MakeClient, api_key: str
) -> None:
    route = api.post("/objects/person/records")
    route.side_effect = [httpx.Response(201, json={"data": PERSON})]
    async with make_client() as client:
        record = await client.create_record("person", {"job_title": "CTO"}, match_on=None)
    assert record["id"] == "p1"
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"api-key {api_key}"
    assert request.headers["User-Agent"].startswith("dbt-clarify/")
    assert request.url.params["silent"] == "true"
