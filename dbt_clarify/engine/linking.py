"""Linking people to companies: ``company.domains`` in a person's block becomes ``company_id``.

A domain resolves to a Clarify company id at most once per run: first from the companies this
run synced, then by one lookup in Clarify, and (when the block asks for it) by creating the
company. Domains that resolve to nothing are remembered too, so they cost no second lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from dbt_clarify.clarify import ClarifyClient

COMPANY = "company"
DOMAINS = "domains"


class CompanyLinker:
    def __init__(self, client: ClarifyClient) -> None:
        self._client = client
        self._ids: dict[str, str | None] = {}

    def remember(self, domain: str, company_id: str) -> None:
        """Record a company synced in this run, so people linking to it need no lookup."""
        self._ids[domain] = company_id

    async def resolve(
        self, domains: Iterable[str], *, create_missing: bool
    ) -> dict[str, str | None]:
        """Map each domain to its company id (None when no company has it and none is created)."""
        wanted = {d for d in domains if d}
        unknown = sorted(d for d in wanted if d not in self._ids)
        if unknown:
            found = await asyncio.gather(
                *(self._client.find_by_unique(COMPANY, DOMAINS, d) for d in unknown)
            )
            for domain, record in zip(unknown, found, strict=True):
                self._ids[domain] = record["id"] if record else None
            missing = [d for d in unknown if self._ids[d] is None]
            if create_missing and missing:
                await self._create(missing)
        return {d: self._ids[d] for d in wanted}

    async def _create(self, domains: list[str]) -> None:
        records = [{"name": d, DOMAINS: {"items": [d]}} for d in domains]
        outcomes = await self._client.upsert_many(
            COMPANY, records, match_on=DOMAINS, append=(DOMAINS,)
        )
        for domain, outcome in zip(domains, outcomes, strict=True):
            if outcome.ok and outcome.record_id:
                self._ids[domain] = outcome.record_id
