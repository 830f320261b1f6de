"""One emulator per test module over real HTTP, reset (records and settings) before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dbt_clarify.emulator import Emulator, EmulatorConfig

from .client import API_KEY, WORKSPACE, Workspace

SCHEMA_DELAY_S = 0.2


def _config() -> EmulatorConfig:
    return EmulatorConfig(schema_delay_s=SCHEMA_DELAY_S)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(_config()) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_emulator(emulator: Emulator) -> None:
    emulator.config = _config()
    emulator.reset()


@pytest.fixture(scope="module")
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    """An authorised client for the workspace (clients are slow to build: one per module)."""
    base_url = f"{emulator.url}/v1/workspaces/{WORKSPACE}"
    headers = {"Authorization": f"api-key {API_KEY}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def anonymous(emulator: Emulator) -> Iterator[httpx.Client]:
    """A client without credentials, rooted at the emulator's URL."""
    with httpx.Client(base_url=emulator.url, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def ws(http: httpx.Client) -> Workspace:
    return Workspace(http)
