"""Linking people to companies: ``company.domains`` in a person's block becomes ``company_id``.

A domain resolves to a Clarify company id at most once per run: first from the companies this
run synced, then by one lookup in Clarify, and (when the block asks for it) by creating the
company. Domains that resolve to nothing are remembered too, so they cost no second lookup,
and two batches that ask about a domain at once share one lookup.
A lookup that fails for a transient reason is not remembered: its people fail for this run
and are retried on the next, rather than synced without their company.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbt_clarify.clarify import ClarifyUnavailableError
from dbt_clarify.engine.sync_client import SyncClient

COMPANY = "company"
DOMAINS = "domains"


@dataclass
class Links:
    """Company ids by domain (None: no such company), and domains whose lookup failed."""

    ids: dict[str, str | None] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    """Domain -> why Clarify could not be asked about it."""


class CompanyLinker:
    def __init__(self, client: SyncClient) -> None:
        self._client = client
        self._ids: dict[str, str | None] = {}
        self._lookups: dict[str, asyncio.Future[dict[str, Any] | None]] = {}

    def remember(self, domain: str, company_id: str) -> None:
        """Record a company synced in this run, so people linking to it need no lookup."""
        self._ids[domain] = company_id

    async def resolve(self, domains: Iterable[str], *, create_missing: bool) -> Links:
        """Map each domain to its company id, creating missing companies when asked."""
        wanted = {d for d in domains if d}
        unknown = sorted(d for d in wanted if d not in self._ids)
        links = Links()
        if unknown:
            found = await asyncio.gather(
                *(asyncio.shield(self._lookup(d)) for d in unknown), return_exceptions=True
            )
            for domain, record in zip(unknown, found, strict=True):
                if isinstance(record, ClarifyUnavailableError):
                    links.unavailable[domain] = record.message
                elif isinstance(record, BaseException):
                    raise record
                else:
                    self._ids[domain] = record["id"] if record else None
            missing = [d for d in unknown if d in self._ids and self._ids[d] is None]
            if create_missing and missing:
                await self._create(missing)
        links.ids = {d: self._ids[d] for d in wanted if d in self._ids}
        return links

    def _lookup(self, domain: str) -> asyncio.Future[dict[str, Any] | None]:
        """The lookup of ``domain`` in Clarify: one while it runs, whoever asks (shielded by
        the askers, so that one batch's cancellation does not cancel another's answer)."""
        lookup = self._lookups.get(domain)
        if lookup is None:
            lookup = asyncio.ensure_future(self._client.find_by_unique(COMPANY, DOMAINS, domain))
            self._lookups[domain] = lookup
            lookup.add_done_callback(lambda _: self._lookups.pop(domain, None))
        return lookup

    async def _create(self, domains: list[str]) -> None:
        records = [{"name": d, DOMAINS: {"items": [d]}} for d in domains]
        outcomes = await self._client.upsert_many(
            COMPANY, records, match_on=DOMAINS, append=(DOMAINS,)
        )
        for domain, outcome in zip(domains, outcomes, strict=True):
            if outcome.ok and outcome.record_id:
                self._ids[domain] = outcome.record_id
