"""Linking people to companies, against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from dbt_clarify.clarify import ClarifyClient
from dbt_clarify.emulator import Emulator, EmulatorConfig
from dbt_clarify.engine.linking import CompanyLinker
from dbt_clarify.settings import ClarifySettings

pytestmark = pytest.mark.anyio

KEY = "linking-test-key"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # Answers take a while, so that two batches' lookups are surely out at once.
    config = EmulatorConfig(
        workspace="acme", api_key=KEY, rate_limit_per_minute=None, latency_ms=100
    )
    with Emulator(config) as running:
        yield running


def _lookups(emulator: Emulator) -> int:
    return sum(n for (e, _), n in emulator.request_counts().items() if e.startswith("GET"))


async def test_two_batches_asking_about_one_domain_at_once_share_its_lookup(
    emulator: Emulator,
) -> None:
    settings = ClarifySettings(api_key=SecretStr(KEY), workspace="acme", api_url=emulator.url)
    async with ClarifyClient(settings) as client:
        (acme,) = await client.upsert_many(
            "company", [{"name": "Acme", "domains": {"items": ["acme.io"]}}], match_on="domains"
        )
        linker = CompanyLinker(client)
        first, second = await asyncio.gather(
            linker.resolve(["acme.io", "globex.io"], create_missing=False),
            linker.resolve(["acme.io", "initech.io"], create_missing=False),
        )
        assert first.ids == {"acme.io": acme.record_id, "globex.io": None}
        assert second.ids == {"acme.io": acme.record_id, "initech.io": None}
        assert _lookups(emulator) == 3

        again = await linker.resolve(["acme.io", "initech.io"], create_missing=False)
        assert again.ids == second.ids
        assert _lookups(emulator) == 3
