"""The front door of the API: auth, rate limits, latency and injected faults around ClarifyApi.

Order matters and mirrors a real service: route, authenticate, draw a fault, take a rate-limit
slot, wait the configured latency, then answer. A "drop" hangs up before anything is applied; a
"lost" applies the request and then hangs up, which is the case that tests a client's duplicate
protection. Every API request is counted per endpoint and final status (0 when hung up).
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import Counter
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson

from dbt_clarify.emulator.api import ApiRequest, ApiResponse, ClarifyApi
from dbt_clarify.emulator.config import EmulatorConfig
from dbt_clarify.emulator.faults import FaultPicker
from dbt_clarify.emulator.problems import ApiError, error_body
from dbt_clarify.emulator.ratelimit import RateLimiter
from dbt_clarify.emulator.routes import RouteMatch, match_route

JSON_MEDIA_TYPES = ("application/json", "application/vnd.api+json")
SERVER_ERRORS = ("500", "502", "503")
HANG_UP = None
"""What ``Gateway.handle`` returns when the connection must close without an answer."""


class Headers(Protocol):
    """Request headers looked up without regard to case, as ``http.server`` provides them."""

    def get(self, name: str, /) -> str | None: ...


class Gateway:
    def __init__(self, api: ClarifyApi, config: EmulatorConfig, stopping: threading.Event):
        self._api = api
        self._config = config
        self._stopping = stopping
        self._limiter = RateLimiter()
        self._faults = FaultPicker(config)
        self._counts: Counter[tuple[str, int]] = Counter()
        self._counts_lock = threading.Lock()

    def reset(self) -> None:
        self._limiter.reset()
        self._faults.reset()
        with self._counts_lock:
            self._counts.clear()

    def counts(self) -> Counter[tuple[str, int]]:
        with self._counts_lock:
            return Counter(self._counts)

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> ApiResponse | None:
        """Answer one API request, or return HANG_UP to close the connection silently."""
        path, _, query_string = target.partition("?")
        try:
            match = match_route(method, path)
        except ApiError as error:
            return self._count(f"{method} (no route)", self._error(error))
        endpoint = match.route.endpoint
        try:
            self._authorise(match, headers)
        except ApiError as error:
            return self._count(endpoint, self._error(error))
        return self._count(endpoint, self._answer(match, path, query_string, headers, body))

    def _answer(
        self,
        match: RouteMatch,
        path: str,
        query_string: str,
        headers: Headers,
        body: bytes,
    ) -> ApiResponse | None:
        config = self._config
        fault = self._faults.pick()
        rate_headers: dict[str, str] = {}
        if config.rate_limit_per_minute is not None:
            decision = self._limiter.check(
                match.route.endpoint, config.rate_limit_per_minute, consume=fault != "429"
            )
            rate_headers = decision.headers()
            if not decision.allowed:
                return self._too_many(decision.reset_seconds, rate_headers, "rate limit exceeded")
        if fault == "429":
            return self._too_many(1, rate_headers, "rate limit exceeded")
        self._pause(config.latency_ms / 1000)
        if fault == "drop" or self._stopping.is_set():
            return HANG_UP
        if fault in SERVER_ERRORS:
            error = ApiError.one(int(fault), "the server failed to answer; try again")
            return self._error(error, rate_headers)
        if fault == "slow":
            self._pause(config.slow_seconds)
            if self._stopping.is_set():
                return HANG_UP
        try:
            request = ApiRequest(
                path=path,
                query=parse_qsl(query_string, keep_blank_values=True),
                body=_parse_body(match, body, headers),
                host=headers.get("Host") or "localhost",
            )
            response = self._api.handle(match, request)
        except ApiError as error:
            response = self._error(error)
        response.headers.update(rate_headers)
        return HANG_UP if fault == "lost" else response

    def _authorise(self, match: RouteMatch, headers: Headers) -> None:
        given = headers.get("Authorization") or ""
        scheme, _, key = given.partition(" ")
        if not given:
            raise ApiError.one(401, "missing Authorization header; send 'api-key <KEY>'")
        if scheme != "api-key":
            raise ApiError.one(401, f"unsupported auth scheme {scheme!r}; use 'api-key <KEY>'")
        if not hmac.compare_digest(key.encode(), self._config.api_key.encode()):
            raise ApiError.one(401, "invalid API key")
        if match.workspace != self._config.workspace:
            raise ApiError.one(404, f"unknown workspace {match.workspace!r}")

    def _pause(self, seconds: float) -> None:
        """Sleep without holding any lock; ends early when the emulator stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _too_many(self, seconds: int, headers: dict[str, str], detail: str) -> ApiResponse:
        response = self._error(ApiError.one(429, f"{detail}; retry in {seconds} s"), headers)
        if self._config.retry_after_as_date:
            response.headers["Retry-After"] = formatdate(
                math.ceil(time.time()) + seconds, usegmt=True
            )
        else:
            response.headers["Retry-After"] = str(seconds)
        return response

    def _error(self, error: ApiError, headers: Mapping[str, str] | None = None) -> ApiResponse:
        body = error_body(error.problems, status_as_string=self._config.error_status_as_string)
        return ApiResponse(error.status, body, dict(headers or {}))

    def _count(self, endpoint: str, response: ApiResponse | None) -> ApiResponse | None:
        with self._counts_lock:
            self._counts[(endpoint, response.status if response else 0)] += 1
        return response


def _parse_body(match: RouteMatch, raw: bytes, headers: Headers) -> Any:
    """The JSON body of a route that takes one; None for the others."""
    if not match.route.takes_body:
        return None
    if not raw:
        raise ApiError.one(400, "this endpoint needs a JSON body")
    media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise ApiError.one(415, "send the body as JSON (Content-Type: application/json)")
    try:
        return orjson.loads(raw)  # strict: NaN, Infinity and bad UTF-8 are refused
    except orjson.JSONDecodeError as exc:
        raise ApiError.one(400, f"the body is not valid JSON: {exc}") from None
