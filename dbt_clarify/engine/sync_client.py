"""What the sync engine asks of Clarify: lookups, bulk upserts, deletes, and a request count.

``ClarifyClient`` provides it by talking to Clarify; a plan (``engine.plan``) stands in for the
writes, counting them instead of sending them, so that both run the same engine.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from dbt_clarify.clarify import WriteOutcome


class RequestTotal(Protocol):
    @property
    def total(self) -> int: ...


class SyncClient(Protocol):
    @property
    def stats(self) -> RequestTotal: ...

    async def find_by_unique(self, object: str, field: str, value: str) -> dict[str, Any] | None:
        """The record whose ``field`` holds ``value``, or None."""

    async def upsert_many(
        self,
        object: str,
        records: Sequence[Mapping[str, Any]],
        *,
        match_on: str,
        append: Collection[str] = (),
    ) -> list[WriteOutcome]:
        """One outcome per record, in order."""

    async def delete_records(
        self, object: str, record_ids: Sequence[str], *, missing_ok: bool = False
    ) -> None: ...
