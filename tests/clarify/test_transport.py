"""The aiohttp transport under httpx's client, over real HTTP on 127.0.0.1.

What the session relies on: the request goes out as httpx built it, the answer comes back as
httpx would give it, and a failure reads as "never sent" only when nothing can have arrived.
"""

from __future__ import annotations

import asyncio
import gzip
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import httpx
import pytest

from dbt_clarify.clarify.retry import NOT_SENT_ERRORS, TRANSIENT_ERRORS
from dbt_clarify.clarify.transport import AiohttpTransport, _as_httpx

pytestmark = pytest.mark.anyio


@dataclass
class Received:
    request_line: str
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]


DROP = b"drop"
"""An answer that closes the connection instead."""
STALL = b"stall"
"""An answer that never comes."""


def answer(body: bytes = b'{"data": []}', *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass
class ScriptedServer:
    """An HTTP/1.1 server whose every answer the test picks from the request it got."""

    reply: Callable[[Received], bytes]
    url: str = ""
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                headers = [
                    (key.strip(), value.strip())
                    for key, _, value in (line.partition(":") for line in head[1:] if line)
                ]
                length = sum(int(v) for k, v in headers if k.lower() == "content-length")
                received = Received(head[0], headers, await reader.readexactly(length))
                self.received.append(received)
                reply = self.reply(received)
                if reply == DROP:
                    return
                if reply == STALL:
                    await self.done.wait()
                    return
                writer.write(reply)
                await writer.drain()
        except asyncio.IncompleteReadError:
            return
        finally:
            writer.close()


@asynccontextmanager
async def scripted(reply: Callable[[Received], bytes]) -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer(reply)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    server.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"
    try:
        yield server
    finally:
        server.done.set()
        listening.close()
        await listening.wait_closed()


def client(base_url: str, timeout_s: float = 5.0) -> httpx.AsyncClient:
    """A client wired as the session wires it."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": "api-key k", "User-Agent": "dbt-clarify/test"},
        timeout=httpx.Timeout(timeout_s),
        transport=AiohttpTransport(max_connections=2),
    )


async def test_the_request_goes_out_as_httpx_built_it() -> None:
    async with scripted(lambda _: answer()) as server, client(server.url) as http:
        response = await http.post(
            "/objects/person/records/bulk",
            params={"silent": "true"},
            content='{"a": "é"}'.encode(),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 200
    assert response.json() == {"data": []}
    (got,) = server.received
    assert got.request_line == "POST /objects/person/records/bulk?silent=true HTTP/1.1"
    assert got.body == '{"a": "é"}'.encode()
    for name, value in [
        ("authorization", "api-key k"),
        ("user-agent", "dbt-clarify/test"),
        ("content-type", "application/json"),
        ("content-length", str(len(got.body))),
    ]:
        assert got.values(name) == [value]
    assert len(got.values("accept-encoding")) == 1
    assert len(got.values("host")) == 1


async def test_connections_are_kept_alive_and_cookies_are_httpxs() -> None:
    def reply(got: Received) -> bytes:
        return answer() if got.values("cookie") else answer(b"{}", "Set-Cookie: lb=blue; Path=/")

    async with scripted(reply) as server, client(server.url) as http:
        for _ in range(3):
            (await http.get("/schemas")).raise_for_status()
    assert server.connections == 1
    assert [r.values("cookie") for r in server.received] == [[], ["lb=blue"], ["lb=blue"]]


async def test_a_compressed_answer_is_decoded() -> None:
    body = gzip.compress(b'{"data": [1, 2]}')
    async with (
        scripted(lambda _: answer(body, "Content-Encoding: gzip")) as server,
        client(server.url) as http,
    ):
        response = await http.get("/schemas")
    assert response.json() == {"data": [1, 2]}


async def test_an_error_status_is_an_answer_not_a_failure() -> None:
    reply = answer(b"{}", "Retry-After: 3", status="429 Too Many Requests")
    async with scripted(lambda _: reply) as server, client(server.url) as http:
        response = await http.get("/schemas")
    assert (response.status_code, response.headers["retry-after"]) == (429, "3")
    assert response.reason_phrase == "Too Many Requests"


async def test_a_refused_connection_was_never_sent() -> None:
    async with scripted(lambda _: answer()) as server:
        url = server.url
    async with client(url) as http:
        with pytest.raises(httpx.ConnectError) as refused:
            await http.post("/objects/person/records", json={})
    assert isinstance(refused.value, NOT_SENT_ERRORS)


async def test_a_connection_dropped_after_the_request_may_have_been_applied() -> None:
    async with scripted(lambda _: DROP) as server, client(server.url) as http:
        with pytest.raises(httpx.TransportError) as dropped:
            await http.post("/objects/person/records", json={})
    assert len(server.received) == 1
    assert isinstance(dropped.value, TRANSIENT_ERRORS)
    assert not isinstance(dropped.value, NOT_SENT_ERRORS)


async def test_a_malformed_answer_may_have_been_applied_and_its_error_keeps_the_key_out() -> None:
    async with scripted(lambda _: b"NOT HTTP\r\n\r\n") as server, client(server.url) as http:
        with pytest.raises(httpx.TransportError) as malformed:
            await http.post("/objects/person/records", json={})
    assert isinstance(malformed.value, TRANSIENT_ERRORS)
    assert not isinstance(malformed.value, NOT_SENT_ERRORS)
    printed = "".join(traceback.format_exception(malformed.value))  # what --debug prints
    assert "ClientResponseError: 400" in printed
    # aiohttp's error, whose repr shows the request's headers, is not kept with it.
    assert malformed.value.__cause__ is None
    assert malformed.value.__context__ is None
    assert "api-key k" not in printed


async def test_an_answer_that_never_comes_times_out_as_a_read() -> None:
    async with scripted(lambda _: STALL) as server, client(server.url, timeout_s=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/objects/person/records", json={})
    assert len(server.received) == 1


async def test_a_proxy_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with scripted(lambda _: answer()) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("//", "//clerk:s3cret@"))
        async with client("http://api.clarify.invalid/v1") as http:
            (await http.get("/schemas")).raise_for_status()
    (got,) = proxy.received
    assert got.request_line == "GET http://api.clarify.invalid/v1/schemas HTTP/1.1"
    assert got.values("proxy-authorization") == ["Basic Y2xlcms6czNjcmV0"]  # clerk:s3cret


async def test_a_host_in_no_proxy_is_reached_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    async with scripted(lambda _: answer()) as server, client(server.url) as http:
        (await http.get("/schemas")).raise_for_status()
    assert [r.request_line for r in server.received] == ["GET /schemas HTTP/1.1"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (asyncio.TimeoutError(), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("cut short"), httpx.RemoteProtocolError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
    ],
)
def test_failures_after_connecting_are_never_taken_as_unsent(
    error: BaseException, expected: type[httpx.TransportError]
) -> None:
    mapped = _as_httpx(error, httpx.Request("POST", "http://127.0.0.1/records"))
    assert type(mapped) is expected
    assert isinstance(mapped, TRANSIENT_ERRORS)
    assert isinstance(mapped, NOT_SENT_ERRORS) == (expected is httpx.ConnectTimeout)
