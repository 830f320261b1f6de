"""Per-endpoint rolling-window limits with X-RateLimit-* headers and Retry-After on 429."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from dbt_clarify.emulator import Emulator
from dbt_clarify.emulator.ratelimit import RateLimiter

from .client import Workspace

LIMIT = 5


def _spend(ws: Workspace, count: int) -> list[httpx.Response]:
    return [ws.http.get("/schemas") for _ in range(count)]


def test_every_api_response_carries_the_rate_limit_headers(
    ws: Workspace, emulator: Emulator
) -> None:
    emulator.config.rate_limit_per_minute = LIMIT
    responses = [*_spend(ws, 2), ws.create("person", {"nickname": "x"})]
    assert [r.status_code for r in responses] == [200, 200, 422]
    assert [r.headers["X-RateLimit-Limit"] for r in responses] == ["5", "5", "5"]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "4"]
    assert all(0 < int(r.headers["X-RateLimit-Reset"]) <= 60 for r in responses)


def test_over_the_limit_is_429_with_retry_after_seconds(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.rate_limit_per_minute = LIMIT
    assert all(r.status_code == 200 for r in _spend(ws, LIMIT))
    refused = ws.http.get("/schemas")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert Workspace.errors(refused)[0]["status"] == "429"
    assert emulator.request_counts()[("GET /schemas", 429)] == 1


def test_limits_are_per_endpoint(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.rate_limit_per_minute = LIMIT
    _spend(ws, LIMIT)
    assert ws.http.get("/schemas").status_code == 429
    response = ws.list("person")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "4"


def test_retry_after_as_an_http_date(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.rate_limit_per_minute = 1
    emulator.config.retry_after_as_date = True
    _spend(ws, 1)
    refused = ws.http.get("/schemas")
    assert refused.status_code == 429
    retry_at = parsedate_to_datetime(refused.headers["Retry-After"])
    wait = (retry_at - datetime.now(timezone.utc)).total_seconds()
    assert 0 < wait <= 61


def test_unlimited_when_switched_off(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.rate_limit_per_minute = None
    responses = _spend(ws, 10)
    assert all(r.status_code == 200 for r in responses)
    assert "X-RateLimit-Limit" not in responses[0].headers


def test_inspection_routes_are_not_limited(anonymous: httpx.Client, emulator: Emulator) -> None:
    emulator.config.rate_limit_per_minute = 1
    assert all(anonymous.get("/_emulator/stats").status_code == 200 for _ in range(5))


def test_reset_frees_the_window(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.rate_limit_per_minute = 1
    _spend(ws, 1)
    assert ws.http.get("/schemas").status_code == 429
    emulator.reset()
    assert ws.http.get("/schemas").status_code == 200


def test_the_window_rolls_per_request_not_per_minute_boundary() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.check("GET /schemas", 2).allowed
    now[0] += 30
    assert limiter.check("GET /schemas", 2).allowed
    now[0] += 20
    refused = limiter.check("GET /schemas", 2)
    assert not refused.allowed
    assert refused.reset_seconds == 10  # the first request leaves the window at t+60
    now[0] += 10
    assert limiter.check("GET /schemas", 2).allowed
    assert not limiter.check("GET /schemas", 2).allowed
    now[0] += 30
    assert limiter.check("GET /schemas", 2).remaining == 0
