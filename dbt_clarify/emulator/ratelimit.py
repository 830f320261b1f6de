"""Clarify's rate limit: N requests per endpoint over a rolling 60-second window.

An endpoint is a method and a route template (``POST /objects/{object}/records/bulk``), so bulk
writes and lookups draw from separate budgets, as on the real API.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    """Seconds until the oldest request in the window expires and frees its slot (0 when the
    window is empty); a rate-limited client waits this long."""

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def check(self, endpoint: str, limit: int, *, consume: bool = True) -> RateDecision:
        """Decide on one request; an allowed request takes a slot when ``consume``."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(endpoint, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            allowed = len(hits) < limit
            if allowed and consume:
                hits.append(now)
            reset = math.ceil(hits[0] + WINDOW_SECONDS - now) if hits else 0
            return RateDecision(
                allowed, limit, max(limit - len(hits), 0), max(reset, 1 if hits else 0)
            )
