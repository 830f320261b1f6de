"""The client's writes during a plan: counted and answered as Clarify would, never sent.

A plan runs the sync engine with ``PlannedWrites`` in place of the client. Reads go to Clarify
(company lookups, as the sync makes them); each write is counted as the requests the client
would send for it, batch by batch, and answered with an outcome: "updated" when Clarify already
holds a record with the match key, "created" otherwise. Which keys Clarify holds is learned by
listing the object's records once per plan (500 a request); past ``INDEX_LIMIT`` records that
costs too much, and such rows are reported as "create or update".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from dbt_clarify.clarify import ClarifyClient, WriteOutcome
from dbt_clarify.clarify.client import BULK, RECORDS, RESOURCES
from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema

INDEX_LIMIT = 100_000
"""Most records of one object listed to tell creates from updates (200 requests)."""
CASE_BLIND_FORMATS = ("email", "hostname", "idn-hostname")

Endpoint = tuple[str, str, str]
"""(method, route template, object): the template names the client's pacing bucket."""


def endpoint_path(endpoint: Endpoint) -> str:
    method, route, object = endpoint
    return f"{method} {route.format(object=object)}"


class PlannedRequests:
    """Requests a sync would send, per endpoint."""

    def __init__(self) -> None:
        self.by_endpoint: Counter[Endpoint] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def add(self, method: str, route: str, object: str, count: int = 1) -> None:
        if count:
            self.by_endpoint[(method, route, object)] += count


class PlannedWrites:
    """Stands in for ``ClarifyClient`` in the sync engine: forwards reads, counts writes."""

    def __init__(
        self, client: ClarifyClient, schemas: Mapping[str, ObjectSchema], *, samples: int
    ) -> None:
        self._client = client
        self._schemas = schemas
        self._sample_limit = samples
        self._existing: dict[tuple[str, str], dict[str, str] | None] = {}
        self.requests = PlannedRequests()
        self.samples: list[dict[str, Any]] = []
        self.undetermined = 0
        """The model's records answered as updated that may as well be created (too many
        records in Clarify to look them up)."""
        self._model_object: str | None = None

    @property
    def stats(self) -> PlannedRequests:
        return self.requests

    def start_model(self, object: str) -> None:
        """Collect samples and undetermined rows afresh, from upserts of ``object`` only."""
        self._model_object = object
        self.samples = []
        self.undetermined = 0

    async def find_by_unique(self, object: str, field: str, value: str) -> dict[str, Any] | None:
        self.requests.add("GET", RESOURCES, object)
        return await self._client.find_by_unique(object, field, value)

    async def upsert_many(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]],
        *,
        match_on: str,
        append: Collection[str] = (),
    ) -> list[WriteOutcome]:
        self.requests.add("POST", BULK, object, self._batches(len(records)))
        existing = await self._existing_keys(object, match_on)
        case_blind = _case_blind(self._schemas[object].fields[match_on])
        outcomes = []
        for index, attributes in enumerate(records):
            if object == self._model_object and len(self.samples) < self._sample_limit:
                self.samples.append({"type": object, "attributes": dict(attributes)})
            keys = list(_match_values(attributes.get(match_on), case_blind))
            if existing is None:
                self.undetermined += object == self._model_object
                found, created = None, None
            else:
                found = next((existing[k] for k in keys if k in existing), None)
                created = found is None
            record_id = found or f"<new {object} {keys[0] if keys else index}>"
            if existing is not None:
                existing.update((k, record_id) for k in keys if k not in existing)
            outcomes.append(WriteOutcome.acknowledged(index, {"id": record_id}, created=created))
        return outcomes

    async def delete_records(
        self, object: str, record_ids: Sequence[str], *, missing_ok: bool = False
    ) -> None:
        self.requests.add("DELETE", RECORDS, object, self._batches(len(record_ids)))

    def _batches(self, records: int) -> int:
        """Bulk requests for this many records, cut as the client cuts them."""
        return -(-records // self._client.batch_size)

    async def _existing_keys(self, object: str, field: str) -> dict[str, str] | None:
        """Match key -> record id of every record Clarify holds; None past ``INDEX_LIMIT``."""
        if (object, field) not in self._existing:
            self._existing[(object, field)] = await self._list_keys(object, field)
        return self._existing[(object, field)]

    async def _list_keys(self, object: str, field: str) -> dict[str, str] | None:
        case_blind = _case_blind(self._schemas[object].fields[field])
        index: dict[str, str] = {}
        listed = 0
        async for record in self._client.list_records(object):
            listed += 1
            if listed > INDEX_LIMIT:
                return None
            attributes = record.get("attributes") or {}
            for key in _match_values(attributes.get(field), case_blind):
                index.setdefault(key, str(record.get("id")))
        return index


def _case_blind(field: FieldSchema) -> bool:
    """Clarify compares emails and domains ignoring case, other unique values exactly."""
    value = field.item or field
    return value.format in CASE_BLIND_FORMATS or field.name in ("email_addresses", "domains")


def _match_values(value: Any, case_blind: bool) -> Iterator[str]:
    """The values of a unique field, collection (``{"items": [...]}``) or scalar, as keys."""
    items = (value.get("items") or []) if isinstance(value, Mapping) else [value]
    for item in items:
        if item is not None:
            yield str(item).casefold() if case_blind else str(item)
