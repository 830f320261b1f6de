"""The Clarify API as the sync needs it: schemas, custom fields, bulk upserts and lookups.

Usage::

    async with ClarifyClient(settings, ClientOptions(concurrency=8)) as client:
        outcomes = await client.upsert_many("person", records, match_on="email_addresses",
                                            append=["email_addresses"])

Writes of many records never raise for a record's fault: each record gets a ``WriteOutcome``.
Single-record calls raise ``ClarifyRequestError`` on a refusal, ``ClarifyUnavailableError`` when
Clarify stays unreachable, and everything raises ``ClarifyAuthError`` on a refused key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from dbt_clarify.clarify.bulk import BatchSize, BulkWrite, CreatedFlag, SendBatch
from dbt_clarify.clarify.fanout import gather_all
from dbt_clarify.clarify.outcomes import RequestStats, WriteOutcome, json_body, was_created
from dbt_clarify.clarify.retry import Clock, RetryPolicy, Sleep
from dbt_clarify.clarify.schema import ObjectSchema, parse_schemas
from dbt_clarify.clarify.session import ClarifySession, Params, json_data
from dbt_clarify.errors import ClarifyError, ConfigError
from dbt_clarify.settings import ClarifySettings

MAX_PAGE_SIZE = 500
RECORDS = "/objects/{object}/records"
BULK = "/objects/{object}/records/bulk"
RECORD = "/objects/{object}/records/{id}"
RESOURCES = "/objects/{object}/resources"
SCHEMAS = "/schemas"
PROPERTIES = "/schemas/{object}/properties"
SCHEMA_POLL_S = (0.25, 2.0)
"""First and longest wait between polls for newly created fields."""


@dataclass(frozen=True)
class ClientOptions:
    """How hard and how fast to talk to Clarify."""

    concurrency: int = 32
    """Requests in flight at once, at most. The pacing below decides how many are out in
    practice: about the rate limit times a request's latency, so 32 keeps a bulk endpoint at
    its 3,000 a minute while a request takes up to 0.64 s, where 8 fell short past 0.16 s
    (benchmarks/README.md)."""
    batch_size: int = 100
    """Records per bulk request; halved for the rest of the run when refused as too large."""
    timeout_s: float = 30.0
    """Per request (connecting gets at most 10 s of it)."""
    max_attempts: int = 6
    """Per request, retries included."""
    deadline_s: float = 300.0
    """Overall cap on one request's retries."""
    rate_limit_per_minute: int = 3000
    """Client-side pacing, per endpoint."""
    silent: bool = True
    """Send ``?silent=true`` on mutations (no in-app or Slack notifications)."""
    backoff_initial_s: float = 0.5
    """Ceiling of the first backoff wait; each retry doubles it (full jitter below it)."""
    backoff_max_s: float = 8.0
    """Cap on the backoff ceiling; ``Retry-After`` from Clarify takes precedence."""

    def __post_init__(self) -> None:
        for name in ("concurrency", "batch_size", "max_attempts", "rate_limit_per_minute"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("timeout_s", "deadline_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive, not {getattr(self, name)}")
        if not 0 <= self.backoff_initial_s <= self.backoff_max_s:
            raise ConfigError("backoff needs 0 <= backoff_initial_s <= backoff_max_s")

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.max_attempts, self.deadline_s, self.backoff_initial_s, self.backoff_max_s
        )


def _collection_meta(append: Collection[str]) -> dict[str, Any]:
    return {"meta": {f: {"collection": "append"} for f in append}} if append else {}


def _values(attribute: Any) -> list[Any]:
    """A field's values whatever its shape: collection ``{"items": [...]}``, list or scalar."""
    if isinstance(attribute, Mapping):
        items = attribute.get("items")
        return list(items) if isinstance(items, list) else []
    if isinstance(attribute, list):
        return attribute
    return [] if attribute is None else [attribute]


def _same(a: Any, b: str) -> bool:
    return isinstance(a, str) and a.strip().casefold() == b.strip().casefold()


class ClarifyClient:
    """An async client for one Clarify workspace; use as ``async with``."""

    def __init__(
        self,
        settings: ClarifySettings,
        options: ClientOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.options = options or ClientOptions()
        self._session = ClarifySession(
            settings,
            concurrency=self.options.concurrency,
            timeout_s=self.options.timeout_s,
            rate_limit_per_minute=self.options.rate_limit_per_minute,
            retry_policy=self.options.retry_policy,
            transport=transport,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
        )
        self._batch_size = BatchSize(self.options.batch_size)
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"ClarifyClient(base_url={self._session.base_url!r})"

    async def __aenter__(self) -> ClarifyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    @property
    def stats(self) -> RequestStats:
        return self._session.stats

    @property
    def batch_size(self) -> int:
        """The current bulk batch size (lower than configured after a 413)."""
        return self._batch_size.value

    # -- schemas -------------------------------------------------------------------------------

    async def get_schemas(self) -> dict[str, ObjectSchema]:
        response = await self._session.request("GET", SCHEMAS)
        if not response.is_success:
            raise self._session.refusal(response, "reading the schemas")
        return parse_schemas({"data": json_data(response, "GET /schemas")})

    async def create_fields(
        self, object: str, fields: Mapping[str, Mapping[str, Any]], *, wait_s: float = 60
    ) -> None:
        """Create custom fields, then wait until ``GET /schemas`` shows all of them.

        Clarify adds fields asynchronously, and answers 409 while another change to the schema
        is under way; the 409 is retried like any transient answer.
        """
        body = {"data": {"type": "schema-properties", "attributes": dict(fields)}}
        response = await self._mutate("POST", PROPERTIES, {"object": object}, body)
        if not response.is_success:
            raise self._session.refusal(response, f"creating fields on {object}")
        deadline = self._clock() + wait_s
        pause = SCHEMA_POLL_S[0]
        while True:
            schema = (await self.get_schemas()).get(object)
            missing = sorted(set(fields) - set(schema.fields if schema else ()))
            if not missing:
                return
            if self._clock() + pause > deadline:
                raise ClarifyError(
                    f"fields {', '.join(missing)} did not appear on {object} within {wait_s:g} s",
                    hint="Clarify creates fields asynchronously; run `dbt-clarify fields` again",
                )
            await self._sleep(pause)
            pause = min(pause * 2, SCHEMA_POLL_S[1])

    # -- bulk writes ---------------------------------------------------------------------------

    async def upsert_many(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]],
        *,
        match_on: str,
        append: Collection[str] = (),
    ) -> list[WriteOutcome]:
        """Create or update each ``attributes`` dict through ``match_on``; one outcome each.

        Resending is safe: a batch whose answer was lost updates the same records again.
        Collections named in ``append`` gain items instead of being replaced.
        """
        extra = {"match_on": match_on, **_collection_meta(append)}

        async def send(batch: Sequence[Mapping[str, Any]]) -> httpx.Response:
            data = [{"type": object, "attributes": dict(r)} for r in batch]
            return await self._mutate("POST", BULK, {"object": object}, {"data": data, **extra})

        return await self._bulk(send, records, f"upserting {object} records", was_created)

    async def update_many(
        self,
        object: str,
        updates: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        append: Collection[str] = (),
    ) -> list[WriteOutcome]:
        """Update records by id; an unknown id is that record's rejection (404)."""
        extra = _collection_meta(append)

        async def send(batch: Sequence[Mapping[str, Any]]) -> httpx.Response:
            return await self._mutate(
                "PATCH", RECORDS, {"object": object}, {"data": batch, **extra}
            )

        payloads = [{"type": object, "id": i, "attributes": dict(a)} for i, a in updates]
        return await self._bulk(
            send,
            payloads,
            f"updating {object} records",
            lambda _: False,
            rejecting=(400, 404, 409, 422),
        )

    async def _bulk(
        self,
        send: SendBatch,
        payloads: Sequence[Mapping[str, Any]],
        what: str,
        created: CreatedFlag,
        *,
        rejecting: Collection[int] = (400, 409, 422),
    ) -> list[WriteOutcome]:
        if not payloads:
            return []
        write = BulkWrite(
            self._session,
            send,
            what=what,
            rejecting=frozenset(rejecting),
            batch_size=self._batch_size,
            workers=self.options.concurrency,
            created=created,
        )
        return await write.run(payloads)

    # -- single records ------------------------------------------------------------------------

    async def create_record(
        self, object: str, attributes: Mapping[str, Any], *, match_on: str | None
    ) -> dict[str, Any]:
        """Create one record, or update the one it matches through ``match_on``.

        Without ``match_on`` a lost answer is not resent (it could create a duplicate): it
        raises ``ClarifyUnavailableError``, and the caller should look the record up.
        """
        body: dict[str, Any] = {"data": {"type": object, "attributes": dict(attributes)}}
        if match_on is not None:
            body["match_on"] = match_on
        response = await self._mutate(
            "POST", RECORDS, {"object": object}, body, replay_safe=match_on is not None
        )
        return self._record(response, f"creating a {object} record")

    async def get_record(self, object: str, record_id: str) -> dict[str, Any]:
        response = await self._session.request(
            "GET", RECORD, path={"object": object, "id": record_id}
        )
        return self._record(response, f"reading {object} {record_id}")

    async def update_record(
        self, object: str, record_id: str, attributes: Mapping[str, Any]
    ) -> dict[str, Any]:
        body = {"data": {"type": object, "id": record_id, "attributes": dict(attributes)}}
        response = await self._mutate("PATCH", RECORD, {"object": object, "id": record_id}, body)
        return self._record(response, f"updating {object} {record_id}")

    async def delete_record(self, object: str, record_id: str) -> None:
        response = await self._mutate("DELETE", RECORD, {"object": object, "id": record_id})
        if not response.is_success:
            raise self._session.refusal(response, f"deleting {object} {record_id}")

    async def delete_records(
        self, object: str, record_ids: Sequence[str], *, missing_ok: bool = False
    ) -> None:
        """Delete in batches; any refusal (such as an unknown id) raises.

        With ``missing_ok``, ids Clarify no longer has (deleted by hand, or by a repeat whose
        first answer was lost) are not an error: a batch refused with 404 is retried id by id.
        """

        async def delete(ids: Sequence[str]) -> None:
            body = {"items": list(ids)}
            response = await self._mutate("DELETE", RECORDS, {"object": object}, body)
            if response.status_code == 404 and missing_ok:
                await gather_all(delete_one(record_id) for record_id in ids)
            elif not response.is_success:
                raise self._session.refusal(response, f"deleting {object} records")

        async def delete_one(record_id: str) -> None:
            response = await self._mutate("DELETE", RECORD, {"object": object, "id": record_id})
            if not response.is_success and response.status_code != 404:
                raise self._session.refusal(response, f"deleting {object} {record_id}")

        size = self._batch_size.value
        await gather_all(delete(record_ids[i : i + size]) for i in range(0, len(record_ids), size))

    # -- reading -------------------------------------------------------------------------------

    async def list_records(
        self,
        object: str,
        filters: Sequence[tuple[str, str, str]] = (),
        *,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every record matching all ``(field, operator, value)`` filters, page by page.

        Pages are requested by offset: Clarify's ``links.next`` has been seen with ``http://``.
        """
        limit = min(max(1, page_size), MAX_PAGE_SIZE)
        conditions: Params = tuple((f"filter[{f}][{op}]", v) for f, op, v in filters)
        offset = 0
        while True:
            params = (*conditions, ("page[limit]", limit), ("page[offset]", offset))
            response = await self._session.request(
                "GET", RESOURCES, path={"object": object}, params=params
            )
            if not response.is_success:
                raise self._session.refusal(response, f"listing {object} records")
            page = json_data(response, f"listing {object} records")
            if not isinstance(page, list):
                raise ClarifyError(f"Clarify answered a {object} listing without a list of records")
            for record in page:
                yield record
            offset += len(page)
            total = (json_body(response).get("meta") or {}).get("total_records")
            done = offset >= total if isinstance(total, int) else len(page) < limit
            if not page or done:
                return

    async def find_by_unique(self, object: str, field: str, value: str) -> dict[str, Any] | None:
        """The record whose ``field`` holds ``value`` (equal ignoring case), or None.

        Clarify's ``Contains`` is a substring match, so equality is checked here; more than one
        exact match means the key is not unique in Clarify, which the caller must not guess at.
        """
        matches = [
            record
            async for record in self.list_records(object, [(field, "Contains", value)])
            if any(_same(v, value) for v in _values((record.get("attributes") or {}).get(field)))
        ]
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches)
            raise ClarifyError(
                f"{len(matches)} {object} records have {field} {value!r}: {ids}",
                hint=f"merge the duplicates in Clarify so that {field} identifies one record",
            )
        return matches[0] if matches else None

    # -- plumbing ------------------------------------------------------------------------------

    async def _mutate(
        self,
        method: str,
        route: str,
        path: Mapping[str, str],
        body: Any = None,
        *,
        replay_safe: bool = True,
    ) -> httpx.Response:
        params: Params = (("silent", "true"),) if self.options.silent else ()
        return await self._session.request(
            method, route, path=path, params=params, json=body, replay_safe=replay_safe
        )

    def _record(self, response: httpx.Response, what: str) -> dict[str, Any]:
        if not response.is_success:
            raise self._session.refusal(response, what)
        record = json_data(response, what)
        if not isinstance(record, dict):
            raise ClarifyError(f"Clarify answered {what} without a record")
        return record
