"""Client-side pacing so that a long sync runs near Clarify's rate limit without meeting 429.

Clarify allows a number of requests per minute per endpoint over a rolling 60 s window. Each
endpoint (method + route template) gets a token bucket, written as a generic cell rate algorithm:
requests are spaced evenly at a little under the limit, with a burst allowance within the rest,
so that no 60 s window can hold more than the limit. The server's ``X-RateLimit-*`` headers are
the second line of defence: when ``Remaining`` runs low (someone else shares the quota), the
endpoint pauses until ``Reset``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from dbt_clarify.clarify.retry import Clock, Sleep

PACE_SHARE = 0.97
"""Share of the limit to pace at; the rest absorbs the burst allowance and clock skew."""
BURST_SHARE = 0.8
"""Share of the headroom (the limit less the paced rate) that may go back to back.

A bucket paced at rate r with a burst of b admits at most 60r + b requests in any 60 s window,
so a burst within the headroom keeps every window under the limit. A sync pauses between read
batches to checkpoint; the burst lets it make up that time instead of losing it.
"""
LOW_WATER_SHARE = 0.01
"""Pause an endpoint when the server reports fewer remaining requests than this share."""
MAX_PAUSE_S = 60.0


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


class EndpointPacer:
    """The bucket of one endpoint: reserves a send time per request, honours server pauses."""

    def __init__(self, per_minute: int, *, clock: Clock, sleep: Sleep) -> None:
        self.interval_s = 60.0 / (per_minute * PACE_SHARE)
        self.burst = max(1, int(per_minute * (1 - PACE_SHARE) * BURST_SHARE))
        self._tolerance_s = (self.burst - 1) * self.interval_s
        self._clock = clock
        self._sleep = sleep
        self._theoretical_arrival = -float("inf")
        self.paused_until = -float("inf")

    async def acquire(self) -> None:
        """Wait for this request's turn; the slot is reserved before waiting, so callers queue
        fairly without polling."""
        now = self._clock()
        arrival = max(self._theoretical_arrival, now)
        send_at = max(now, arrival - self._tolerance_s, self.paused_until)
        self._theoretical_arrival = arrival + self.interval_s
        if send_at > now:
            await self._sleep(send_at - now)
        # A pause announced while this request waited still applies to it.
        while (remaining := self.paused_until - self._clock()) > 0:
            await self._sleep(remaining)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Pause until the window frees when the server says the quota is nearly spent."""
        limit = _number(headers, "X-RateLimit-Limit")
        remaining = _number(headers, "X-RateLimit-Remaining")
        if limit is None or remaining is None or remaining >= max(1.0, limit * LOW_WATER_SHARE):
            return
        reset = _number(headers, "X-RateLimit-Reset")
        pause = min(max(reset if reset is not None else 1.0, 0.0), MAX_PAUSE_S)
        until = self._clock() + pause
        self.paused_until = max(self.paused_until, until)
        self._theoretical_arrival = max(self._theoretical_arrival, until)


class RateLimiter:
    """One ``EndpointPacer`` per endpoint, created on first use."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[str, EndpointPacer] = {}

    def pacer(self, endpoint: str) -> EndpointPacer:
        if endpoint not in self._pacers:
            self._pacers[endpoint] = EndpointPacer(
                self.per_minute, clock=self._clock, sleep=self._sleep
            )
        return self._pacers[endpoint]

    async def acquire(self, endpoint: str) -> None:
        await self.pacer(endpoint).acquire()

    def observe(self, endpoint: str, headers: Mapping[str, str]) -> None:
        self.pacer(endpoint).observe(headers)
