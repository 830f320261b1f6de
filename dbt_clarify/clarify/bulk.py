"""Atomic bulk writes resolved into one outcome per record.

Clarify applies a bulk request entirely or not at all: one bad record rejects the batch. To land
every good record and report every bad one with its own reason, a rejected batch is broken up:
records that the errors' pointers name are set aside with their errors (a shortcut), and a batch
whose rejection names nobody is halved and each half resent, down to single records, whose
rejection is then their own. This stays correct however few pointers Clarify gives.

A batch refused as too large lowers the batch size for the rest of the client's life and is
resent in pieces. Clarify's documents give 25 records as safe and 100 as likely, and a larger
batch as answered with 413 or 400: so a 413, or a 400 that blames no record for a batch above
25, counts as too large. A transient failure that outlives the retries marks its records
transient instead of raising.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from dbt_clarify.clarify.errors import ClarifyUnavailableError
from dbt_clarify.clarify.fanout import gather_all
from dbt_clarify.clarify.outcomes import RecordError, WriteOutcome
from dbt_clarify.clarify.session import ClarifySession, json_data
from dbt_clarify.errors import ClarifyError

SendBatch = Callable[[Sequence[Mapping[str, Any]]], Awaitable[httpx.Response]]
"""Sends the given payloads as one bulk request (the caller builds the body)."""
CreatedFlag = Callable[[Mapping[str, Any]], "bool | None"]
SAFE_BATCH_SIZE = 25
"""Records per bulk request that Clarify documents as always accepted."""


class BatchSize:
    """Records per bulk request; only ever lowered, by a 413."""

    def __init__(self, initial: int) -> None:
        self.value = initial

    def shrink_below(self, refused: int) -> bool:
        """Halve after a batch of ``refused`` records was too large; False when another request
        already lowered it as far (concurrent 413s for one size halve it once)."""
        smaller = max(1, refused // 2)
        if smaller >= self.value:
            return False
        self.value = smaller
        return True


class BulkWrite:
    """One call's worth of records, sent in batches by a few workers and resolved per record."""

    def __init__(
        self,
        session: ClarifySession,
        send: SendBatch,
        *,
        what: str,
        rejecting: frozenset[int],
        batch_size: BatchSize,
        workers: int,
        created: CreatedFlag,
    ) -> None:
        self._session = session
        self._send = send
        self._what = what
        self._rejecting = rejecting
        self._batch_size = batch_size
        self._workers = workers
        self._created = created
        self._payloads: Sequence[Mapping[str, Any]] = ()
        self._outcomes: list[WriteOutcome | None] = []

    async def run(self, payloads: Sequence[Mapping[str, Any]]) -> list[WriteOutcome]:
        """One outcome per payload, in input order.

        Workers take the next batch at the current batch size when they are ready for it, so
        a size lowered by a 413 applies to every batch not yet sent.
        """
        self._payloads = payloads
        self._outcomes = [None] * len(payloads)
        cursor = 0

        async def worker() -> None:
            nonlocal cursor
            while cursor < len(payloads):
                end = min(len(payloads), cursor + self._batch_size.value)
                batch, cursor = list(range(cursor, end)), end
                await self._resolve(batch)

        batches = -(-len(payloads) // self._batch_size.value)
        await gather_all(worker() for _ in range(min(self._workers, batches)))
        resolved = [o for o in self._outcomes if o is not None]
        if len(resolved) != len(payloads):
            raise AssertionError("every record of a bulk write gets an outcome")
        return resolved

    async def _resolve(self, indices: list[int]) -> None:
        try:
            response = await self._send([self._payloads[i] for i in indices])
        except ClarifyUnavailableError as exc:
            for i in indices:
                self._outcomes[i] = WriteOutcome.failed(i, exc.record_error())
            return
        status = response.status_code
        if response.is_success:
            self._acknowledge(indices, response)
        elif len(indices) > 1 and self._too_large(response, len(indices)):
            self._session.stats.batch_shrinks += self._batch_size.shrink_below(len(indices))
            await self._resend_smaller(indices)
        elif status in self._rejecting or status == 413:
            await self._split(indices, response)
        else:
            raise self._session.refusal(response, self._what)

    def _too_large(self, response: httpx.Response, size: int) -> bool:
        if response.status_code == 413:
            return True
        if response.status_code != 400 or size <= SAFE_BATCH_SIZE:
            return False
        return all(
            p.index is None and not p.names_request for p in self._session.pointed_errors(response)
        )

    async def _resend_smaller(self, indices: list[int]) -> None:
        """Resend a batch refused as too large in pieces, each cut at the size current when
        it goes out, so a further 413 on the first piece shrinks the later ones too."""
        pending = indices
        while pending:
            size = min(self._batch_size.value, len(indices) // 2)
            await self._resolve(pending[:size])
            pending = pending[size:]

    def _acknowledge(self, indices: list[int], response: httpx.Response) -> None:
        data = json_data(response, self._what)
        if not isinstance(data, list) or len(data) != len(indices):
            raise ClarifyError(
                f"Clarify acknowledged {self._what} for {len(indices)} records "
                f"with {len(data) if isinstance(data, list) else 'no'} records",
                hint="this may be a Clarify API change; please report it",
            )
        for i, resource in zip(indices, data, strict=True):
            if not isinstance(resource, Mapping):
                raise ClarifyError(f"Clarify acknowledged {self._what} with a malformed record")
            self._outcomes[i] = WriteOutcome.acknowledged(
                i, resource, created=self._created(resource)
            )

    async def _split(self, indices: list[int], response: httpx.Response) -> None:
        pointed = self._session.pointed_errors(response)
        if any(p.names_request for p in pointed):
            raise self._session.refusal(response, self._what)
        if len(indices) == 1:
            own = next((p.error for p in pointed if p.index in (None, 0)), pointed[0].error)
            self._outcomes[indices[0]] = WriteOutcome.rejected(indices[0], own)
            return
        self._session.stats.splits += 1
        named: dict[int, RecordError] = {}
        for p in pointed:
            if p.index is not None and 0 <= p.index < len(indices):
                named.setdefault(indices[p.index], p.error)
        if not named:
            half = len(indices) // 2
            await gather_all([self._resolve(indices[:half]), self._resolve(indices[half:])])
            return
        for i, error in named.items():
            self._outcomes[i] = WriteOutcome.rejected(i, error)
        rest = [i for i in indices if i not in named]
        if rest:
            await self._resolve(rest)
