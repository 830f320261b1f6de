"""The HTTP layer: a threading HTTP/1.1 server with keep-alive, built on the standard library.

Owning the socket is what lets the emulator hang up mid-request ("drop" and "lost" faults). Each
response goes out in one write with Nagle disabled, so keep-alive clients are not held up by
delayed ACKs, and every open connection is tracked so that stopping closes them all.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from dbt_clarify.emulator.api import ApiResponse
from dbt_clarify.emulator.gateway import Gateway
from dbt_clarify.emulator.inspection import PREFIX as INSPECTION_PREFIX
from dbt_clarify.emulator.inspection import Inspection
from dbt_clarify.emulator.problems import ApiError, error_body

MAX_BODY_BYTES = 32 * 1024 * 1024
NO_BODY_STATUSES = (204, 304)

logger = logging.getLogger(__name__)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: Gateway, inspection: Inspection):
        self.gateway = gateway
        self.inspection = inspection
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Hang up on every client, including idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClarifyEmulator"
    sys_version = ""
    disable_nagle_algorithm = True
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a sync under test makes thousands of requests."""

    def _serve(self) -> None:
        body, refusal = self._read_body()
        if refusal is not None:
            self.close_connection = True
            self._send(refusal)
            return
        reply: ApiResponse | None
        try:
            if self.path.startswith(INSPECTION_PREFIX):
                reply = self.server.inspection.handle(self.command, self.path, body)
            else:
                reply = self.server.gateway.handle(self.command, self.path, self.headers, body)
        except Exception:
            logger.exception("emulator bug while answering %s %s", self.command, self.path)
            reply = _error_response(500, "the emulator failed; see its log")
        if reply is None:
            self.close_connection = True
            return
        self._send(reply)

    def _read_body(self) -> tuple[bytes, ApiResponse | None]:
        """The request body, or a refusal when it cannot be read safely."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return b"", _error_response(411, "send a Content-Length; chunked bodies are refused")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return b"", _error_response(400, "Content-Length is not a number")
        if length < 0 or length > MAX_BODY_BYTES:
            return b"", _error_response(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
        return (self.rfile.read(length) if length else b""), None

    def _send(self, reply: ApiResponse) -> None:
        phrase = HTTPStatus(reply.status).phrase
        lines = [f"HTTP/1.1 {reply.status} {phrase}", f"Date: {self.date_time_string()}"]
        lines += [f"{name}: {value}" for name, value in reply.headers.items()]
        payload = b""
        if reply.status not in NO_BODY_STATUSES:
            if reply.body is not None:
                payload = orjson.dumps(reply.body)
                lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(payload)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + payload)
        except OSError:
            self.close_connection = True


def _error_response(status: int, detail: str) -> ApiResponse:
    return ApiResponse(
        status, error_body(ApiError.one(status, detail).problems, status_as_string=True)
    )
