"""Client-side pacing on a fake clock: even spacing, a bounded burst, pauses on low quota."""

from __future__ import annotations

from collections import deque
from itertools import pairwise
from typing import TYPE_CHECKING

import pytest

from dbt_clarify.clarify.ratelimit import RateLimiter

if TYPE_CHECKING:
    from .conftest import FakeTime

pytestmark = pytest.mark.anyio


def _limiter(fake_time: FakeTime, per_minute: int) -> RateLimiter:
    return RateLimiter(per_minute, clock=fake_time.clock, sleep=fake_time.sleep)


async def _send_times(
    limiter: RateLimiter, endpoint: str, count: int, fake_time: FakeTime
) -> list[float]:
    times = []
    for _ in range(count):
        await limiter.acquire(endpoint)
        times.append(fake_time.now)
    return times


def _busiest_window(times: list[float], window: float = 60.0) -> int:
    inside: deque[float] = deque()
    busiest = 0
    for t in times:
        inside.append(t)
        while inside[0] <= t - window:
            inside.popleft()
        busiest = max(busiest, len(inside))
    return busiest


async def test_long_run_stays_under_the_limit_in_every_window(fake_time: FakeTime) -> None:
    limiter = _limiter(fake_time, 3000)
    times = await _send_times(limiter, "POST /objects/{object}/records/bulk", 9000, fake_time)
    assert _busiest_window(times) <= 3000
    # ... and close to it: 9000 requests at 3000/min take a little over 3 minutes.
    assert 180.0 <= times[-1] <= 180.0 / 0.95


async def test_burst_fits_the_headroom_then_spacing_is_even(fake_time: FakeTime) -> None:
    limiter = _limiter(fake_time, 3000)
    pacer = limiter.pacer("GET /schemas")
    times = await _send_times(limiter, "GET /schemas", 200, fake_time)
    assert times[: pacer.burst] == [0.0] * pacer.burst
    # A full burst plus a minute of paced requests still fits in one window.
    assert 1 < pacer.burst <= 3000 - 60 / pacer.interval_s
    gaps = {round(b - a, 9) for a, b in pairwise(times[pacer.burst - 1 :])}
    assert gaps == {round(pacer.interval_s, 9)}


async def test_an_idle_endpoint_catches_up_by_its_burst_and_stays_under_the_limit(
    fake_time: FakeTime,
) -> None:
    limiter = _limiter(fake_time, 3000)
    endpoint = "POST /objects/{object}/records/bulk"
    times = await _send_times(limiter, endpoint, 500, fake_time)
    await fake_time.sleep(2.0)  # a checkpoint between read batches
    resumed = fake_time.now
    times += await _send_times(limiter, endpoint, 4000, fake_time)
    burst = limiter.pacer(endpoint).burst
    assert times[500 : 500 + burst] == [resumed] * burst
    assert _busiest_window(times) <= 3000


async def test_endpoints_are_paced_separately(fake_time: FakeTime) -> None:
    limiter = _limiter(fake_time, 60)  # one a second, burst of one
    await limiter.acquire("GET /schemas")
    await limiter.acquire("POST /objects/{object}/records/bulk")
    assert fake_time.now == 0.0
    await limiter.acquire("GET /schemas")
    assert fake_time.now == pytest.approx(60 / (60 * 0.97))


@pytest.mark.parametrize(
    ("remaining", "reset", "expected_pause"),
    [("0", "7", 7.0), ("12", "3", 3.0), ("2999", "60", 0.0), ("0", "999", 60.0), ("0", "x", 1.0)],
)
async def test_low_remaining_pauses_until_reset(
    fake_time: FakeTime, remaining: str, reset: str, expected_pause: float
) -> None:
    limiter = _limiter(fake_time, 3000)
    endpoint = "POST /objects/{object}/records/bulk"
    await limiter.acquire(endpoint)
    headers = {
        "X-RateLimit-Limit": "3000",
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": reset,
    }
    limiter.observe(endpoint, headers)
    await limiter.acquire(endpoint)
    assert fake_time.now == pytest.approx(expected_pause)
    await limiter.acquire("GET /schemas")
    assert fake_time.now == pytest.approx(expected_pause), "other endpoints are not paused"


async def test_missing_or_garbage_headers_change_nothing(fake_time: FakeTime) -> None:
    limiter = _limiter(fake_time, 3000)
    limiter.observe("GET /schemas", {})
    limiter.observe("GET /schemas", {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "0"})
    await limiter.acquire("GET /schemas")
    assert fake_time.now == 0.0
