"""The wire under the Clarify session: httpx's transport interface, aiohttp's connections.

A sync sends a bulk request for every hundred rows, and httpx with its own transport (httpcore,
h11 and anyio, all pure Python) took about a third of the event loop's CPU in a profiled sync;
aiohttp parses HTTP and keeps its pool in C. The session keeps httpx's requests, responses
and errors, and hands its requests to a transport as httpx's client would, so retries, mocks
and callers stay as they are: this transport only changes how the bytes travel.

Its errors are httpx's, mapped so that the retry's "never sent" stays exact: only a failure to
get a connection (refused, unresolvable, TLS, proxy, timed out) reads as ``ConnectError`` or
``ConnectTimeout``; anything after that may have reached Clarify. As with httpx's transport,
answers are read whole and decoded by httpx, cookies are left to the caller, the trusted
certificates are ``httpx.create_ssl_context()``'s, and proxies come from
``HTTP(S)_PROXY``/``NO_PROXY``.
"""

from __future__ import annotations

import asyncio
import functools
from urllib.request import getproxies, proxy_bypass

import aiohttp
import httpx

KEEPALIVE_EXPIRY_S = 5.0
"""How long an idle connection stays pooled: httpx's default."""

_NOT_FORWARDED = frozenset({"connection"})
"""Request headers aiohttp sets for itself: keep-alive is its pool's business."""

_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (asyncio.TimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (aiohttp.ClientError, httpx.RemoteProtocolError),
)
"""aiohttp's failures as httpx's, first match wins. Only the first two read as never sent to
the retry; a proxy's refusal and a bad URL are not retried at all."""


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through one aiohttp session; close it with the client."""

    def __init__(self, *, max_connections: int) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        headers = [(k, v) for k, v in request.headers.multi_items() if k not in _NOT_FORWARDED]
        body = await request.aread()
        proxy = self._proxy(request.url)
        failure: httpx.TransportError | None = None
        try:
            async with self._client().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(**request.extensions.get("timeout", {})),
                proxy=proxy,
            ) as answer:
                content = await answer.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            failure = _as_httpx(error, request)
        if failure is not None:
            # Raised outside the handler, so that aiohttp's error is not kept as its context:
            # that error holds the request's headers, the API key among them, in its repr.
            raise failure
        reason = (answer.reason or "").encode()
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=httpx.ByteStream(content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _proxy(self, url: httpx.URL) -> str | None:
        """The environment's proxy for ``url``, read once per host.

        aiohttp's own ``trust_env`` reads the environment and ``~/.netrc`` again, on a thread,
        for every request.
        """
        key = (url.scheme, url.host)
        if key not in self._proxies:
            self._proxies[key] = _environment_proxy(*key)
        return self._proxies[key]

    def _client(self) -> aiohttp.ClientSession:
        """The session, made on first use: aiohttp binds it to the running event loop."""
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=KEEPALIVE_EXPIRY_S,
                ssl=httpx.create_ssl_context(),
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session


@functools.lru_cache(maxsize=8)
def _timeout(
    connect: float | None = None,
    read: float | None = None,
    write: float | None = None,
    pool: float | None = None,
) -> aiohttp.ClientTimeout:
    """httpx's timeouts in aiohttp's terms.

    Getting a connection (a pooled one or a new one) gets ``pool``, opening one ``connect``, and
    the wait between bytes of the answer ``read``. aiohttp has no write timeout, so the whole
    exchange gets ``pool + write + read``: a send that stalls still ends.
    """
    parts = (pool, write, read)
    total = None if None in parts else sum(p for p in parts if p is not None)
    return aiohttp.ClientTimeout(total=total, connect=pool, sock_connect=connect, sock_read=read)


def _as_httpx(error: BaseException, request: httpx.Request) -> httpx.TransportError:
    kind = next(mapped for source, mapped in _ERRORS if isinstance(error, source))
    return kind(f"{type(error).__name__}: {error}".rstrip(": "), request=request)


def _environment_proxy(scheme: str, host: str) -> str | None:
    """``HTTPS_PROXY`` or ``HTTP_PROXY`` by scheme, unless ``NO_PROXY`` names the host.

    Credentials in the proxy's address go to the proxy, as ``Proxy-Authorization``.
    """
    return None if proxy_bypass(host) else getproxies().get(scheme)
