"""One workspace's HTTP session: auth, keep-alive pool, pacing, bounded concurrency, retries.

Every Clarify call goes through ``ClarifySession.request``, which returns the final answer
(success or a permanent refusal for the caller to interpret), raises ``ClarifyAuthError`` on a
refused key or unknown workspace, and ``ClarifyUnavailableError`` when retries run out. This is
the only place that reads the API key. Clarify authenticates by that key alone, so no cookies
are kept.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from dbt_clarify import __version__
from dbt_clarify.clarify.errors import ClarifyAuthError, ClarifyRequestError
from dbt_clarify.clarify.outcomes import (
    NO_RESPONSE,
    PointedError,
    RecordError,
    RequestStats,
    json_body,
    parse_errors,
)
from dbt_clarify.clarify.ratelimit import RateLimiter
from dbt_clarify.clarify.retry import TRANSIENT_ERRORS, Clock, Retrier, RetryPolicy, Sleep
from dbt_clarify.clarify.transport import AiohttpTransport
from dbt_clarify.errors import ClarifyError
from dbt_clarify.settings import ClarifySettings

CONNECT_TIMEOUT_S = 10.0
USER_AGENT = f"dbt-clarify/{__version__}"
REDACTED = "**********"

Params = tuple[tuple[str, str | int], ...]
_JSON_CONTENT = {"Content-Type": "application/json"}


class ClarifySession:
    """Sends requests to one workspace; use one per run and close it."""

    def __init__(
        self,
        settings: ClarifySettings,
        *,
        concurrency: int,
        timeout_s: float,
        rate_limit_per_minute: int,
        retry_policy: RetryPolicy,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.workspace = settings.workspace
        self.base_url = settings.base_url
        self.stats = RequestStats()
        self._key = settings.api_key
        self._in_flight = asyncio.Semaphore(concurrency)
        self._limiter = RateLimiter(rate_limit_per_minute, clock=clock, sleep=sleep)
        self._retrier = Retrier(
            retry_policy,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            on_retry=self._count_retry,
        )
        # Requests go straight to the transport: httpx's client would parse the URL, merge
        # headers and keep cookies again for each of a sync's thousands of bulk requests.
        self._transport = transport or AiohttpTransport(max_connections=concurrency)
        self._headers = httpx.Headers(
            {
                "Authorization": f"api-key {settings.api_key.get_secret_value()}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self._json_headers = httpx.Headers({**self._headers, **_JSON_CONTENT})
        timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))
        self._extensions = {"timeout": timeout.as_dict()}

    def __repr__(self) -> str:
        return f"ClarifySession(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def request(
        self,
        method: str,
        route: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Params = (),
        json: Any = None,
        replay_safe: bool = True,
    ) -> httpx.Response:
        """Send ``method route`` (a template such as ``/objects/{object}/records``) with retries.

        The template, not the filled path, names the endpoint for pacing and counters, as
        Clarify's per-endpoint limit does. ``replay_safe=False`` limits retries to failures
        that Clarify cannot have applied.
        """
        endpoint = f"{method} {route}"
        url = route.format(**{k: quote(v, safe="") for k, v in (path or {}).items()})
        target = _absolute_url(self.base_url, url, params)
        # Encoded once, whatever the retries; orjson takes a tenth of the json module's time.
        body = None if json is None else orjson.dumps(json)
        headers = self._headers if body is None else self._json_headers

        async def attempt() -> httpx.Response:
            async with self._in_flight:
                await self._limiter.acquire(endpoint)
                request = httpx.Request(
                    method, target, headers=headers, content=body, extensions=self._extensions
                )
                try:
                    response = await self._send(request)
                except TRANSIENT_ERRORS:
                    self.stats.sent[(endpoint, NO_RESPONSE)] += 1
                    raise
            self.stats.sent[(endpoint, response.status_code)] += 1
            self.stats.rate_limited += response.status_code == 429
            self._limiter.observe(endpoint, response.headers)
            return response

        response = await self._retrier.run(
            attempt, label=f"{method} {url}", replay_safe=replay_safe
        )
        if response.status_code in (401, 403):
            raise ClarifyAuthError(
                f"Clarify refused the API key for workspace {self.workspace!r} "
                f"({response.status_code}): {self.reason(response).detail}"
            )
        if response.status_code == 404 and _names_workspace(self.reason(response)):
            raise ClarifyAuthError(f"Clarify has no workspace {self.workspace!r}")
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """One attempt through the transport, the answer read whole."""
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def pointed_errors(self, response: httpx.Response) -> list[PointedError]:
        """Clarify's errors for a refused request (never empty), any echo of the key blanked."""
        parsed = parse_errors(response)
        return [
            replace(
                p,
                error=replace(
                    p.error, title=self.redact(p.error.title), detail=self.redact(p.error.detail)
                ),
            )
            for p in parsed
        ]

    def reason(self, response: httpx.Response) -> RecordError:
        return self.pointed_errors(response)[0].error

    def refusal(self, response: httpx.Response, what: str) -> ClarifyRequestError:
        """The error for a permanent refusal of ``what``; the message carries Clarify's reason."""
        errors = tuple(p.error for p in self.pointed_errors(response))
        where = f" (field {errors[0].field})" if errors[0].field else ""
        return ClarifyRequestError(
            f"Clarify refused {what} with {response.status_code}: {errors[0].detail}{where}",
            status=response.status_code,
            errors=errors,
        )

    def redact(self, text: str) -> str:
        return text.replace(self._key.get_secret_value(), REDACTED)

    def _count_retry(self) -> None:
        self.stats.retries += 1


@functools.lru_cache(maxsize=256)
def _absolute_url(base_url: str, path: str, params: Params) -> httpx.URL:
    """``path`` under the workspace's root with ``params``, built once: a sync's bulk requests
    share a few, and merging a query parses and rebuilds the whole URL."""
    url = httpx.URL(base_url + path)
    return url.copy_merge_params(params) if params else url


def _names_workspace(error: RecordError) -> bool:
    return "workspace" in f"{error.title} {error.detail}".lower()


def json_data(response: httpx.Response, what: str) -> Any:
    """The ``data`` member of a successful answer; a malformed one is Clarify's fault."""
    body = json_body(response)
    if not isinstance(body, Mapping) or "data" not in body:
        raise ClarifyError(
            f"Clarify answered {what} with {response.status_code} but no JSON data",
            hint="this may be a Clarify API change; please report it",
        )
    return body["data"]
