"""Shared fixtures for the client tests: settings with a recognisable key, and a fake clock.

Everything is handed out as fixtures, so test modules import nothing from here at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import respx
from pydantic import SecretStr

from dbt_clarify.clarify import ClarifyClient, ClientOptions
from dbt_clarify.settings import ClarifySettings

API_KEY = "sk-test-5ecret-value-123"
API_URL = "https://api.clarify.test"
BASE = f"{API_URL}/v1/workspaces/acme"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class FakeTime:
    """A clock that moves only when someone sleeps, recording every sleep."""

    now: float = 0.0
    wall_start: float = 1_700_000_000.0
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_start + self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
def settings() -> ClarifySettings:
    return ClarifySettings(api_key=SecretStr(API_KEY), workspace="acme", api_url=API_URL)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


MakeClient = Callable[..., ClarifyClient]


@pytest.fixture
def make_client(settings: ClarifySettings, fake_time: FakeTime) -> MakeClient:
    """Clients on fake time (``ClientOptions`` as keywords), paced loosely enough never to sleep.

    They send through httpx's own transport, which respx answers in place of the network.
    """

    def make(**options: object) -> ClarifyClient:
        defaults: dict[str, object] = {"rate_limit_per_minute": 1_000_000}
        return ClarifyClient(
            settings,
            ClientOptions(**{**defaults, **options}),  # type: ignore[arg-type]
            transport=httpx.AsyncHTTPTransport(),
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            wall_clock=fake_time.wall,
        )

    return make
