"""A local stand-in for dbt Cloud's Administrative API (v2): an account's runs and artifacts.

It answers over real HTTP on 127.0.0.1 the calls a sync makes, in dbt Cloud's shapes:

- ``GET /api/v2/accounts/{account}/runs/{id}/`` (steps listed with include_related=run_steps)
- ``GET /api/v2/accounts/{account}/runs/?job_definition_id=&order_by=-id&limit=&offset=``
- ``GET /api/v2/accounts/{account}/runs/{id}/artifacts/{path}?step=N`` (last step by default)

It accepts ``Authorization: Token <token>`` or ``Bearer <token>``, answers 401 otherwise, and
records every request so that tests can check what was asked and how.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SUCCESS, ERROR, CANCELLED, RUNNING = 10, 20, 30, 3
STATUS_NAMES = {
    1: "Queued",
    2: "Starting",
    3: "Running",
    SUCCESS: "Success",
    ERROR: "Error",
    CANCELLED: "Cancelled",
}
ACCOUNT_ID = 4321
TOKEN = "dbtc_standin-token-93kd0s"

_RUN = re.compile(r"^/api/v2/accounts/(\d+)/runs/(\d+)/?$")
_RUNS = re.compile(r"^/api/v2/accounts/(\d+)/runs/?$")
_ARTIFACT = re.compile(r"^/api/v2/accounts/(\d+)/runs/(\d+)/artifacts/(.+)$")


@dataclass
class Step:
    """One step of a run; ``artifacts`` maps a path (``run_results.json``) to its content."""

    name: str
    artifacts: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Run:
    id: int
    job_id: int
    status: int
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    """An answer: a dict or list body goes out as JSON, bytes as they are."""

    status: int
    body: dict[str, Any] | bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None


def with_setup_steps(*dbt_steps: Step) -> list[Step]:
    """The steps dbt Cloud runs before any dbt command, then ``dbt_steps``."""
    return [
        Step("Clone git repository"),
        Step("Create profile from connection"),
        Step("Invoke dbt with `dbt deps`"),
        *dbt_steps,
    ]


def not_found(message: str = "The requested resource was not found.") -> Reply:
    return Reply(404, _envelope(None, 404, message))


class DbtCloudStandin:
    """Serves an account's runs while open; ``runs`` and ``faults`` may change meanwhile."""

    def __init__(self, account_id: int = ACCOUNT_ID, token: str = TOKEN) -> None:
        self.account_id = account_id
        self.token = token
        self.runs: dict[int, Run] = {}
        self.requests: list[Request] = []
        self.faults: list[Reply] = []
        """Answers to give the next requests instead of the real ones (see ``fault``)."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_run(self, run: Run) -> Run:
        self.runs[run.id] = run
        return run

    def env(self) -> dict[str, str]:
        """The settings a sync reads to reach this account."""
        return {
            "DBT_CLOUD_ACCOUNT_ID": str(self.account_id),
            "DBT_CLOUD_API_TOKEN": self.token,
            "DBT_CLOUD_URL": self.url,
        }

    @staticmethod
    def fault(status: int, retry_after: str | None = None) -> Reply:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return Reply(status, _envelope(None, status, "Injected fault."), headers)

    def __enter__(self) -> DbtCloudStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, method: str, target: str, authorization: str | None) -> Reply:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        with self._lock:
            self.requests.append(Request(method, parts.path, query, authorization))
            if self.faults:
                return self.faults.pop(0)
        if authorization not in (f"Token {self.token}", f"Bearer {self.token}"):
            return Reply(401, _envelope(None, 401, "Invalid token."))
        if method != "GET":
            return Reply(405, _envelope(None, 405, "Method not allowed."))
        if match := _ARTIFACT.match(parts.path):
            return self._artifact(int(match[1]), int(match[2]), match[3], query)
        if match := _RUN.match(parts.path):
            return self._run(int(match[1]), int(match[2]), query)
        if match := _RUNS.match(parts.path):
            return self._runs(int(match[1]), query)
        return not_found()

    def _run(self, account: int, run_id: int, query: dict[str, list[str]]) -> Reply:
        run = self.runs.get(run_id) if account == self.account_id else None
        if run is None:
            return not_found()
        with_steps = "run_steps" in "".join(query.get("include_related", []))
        return Reply(200, _envelope(_run_body(run, with_steps)))

    def _runs(self, account: int, query: dict[str, list[str]]) -> Reply:
        if account != self.account_id:
            return not_found()
        runs = list(self.runs.values())
        if "job_definition_id" in query:
            job = int(query["job_definition_id"][0])
            runs = [run for run in runs if run.job_id == job]
        order = query.get("order_by", ["id"])[0]
        runs.sort(key=lambda run: run.id, reverse=order.startswith("-"))
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        page = runs[offset : offset + limit]
        return Reply(200, _envelope([_run_body(run, with_steps=False) for run in page]))

    def _artifact(self, account: int, run_id: int, path: str, query: dict[str, list[str]]) -> Reply:
        run = self.runs.get(run_id) if account == self.account_id else None
        if run is None or not run.steps:
            return not_found()
        index = int(query["step"][0]) if "step" in query else len(run.steps)
        if not 1 <= index <= len(run.steps) or path not in run.steps[index - 1].artifacts:
            return not_found(f"No artifact {path} for step {index}.")
        return Reply(200, run.steps[index - 1].artifacts[path])


def _run_body(run: Run, with_steps: bool) -> dict[str, Any]:
    finished = run.status in (SUCCESS, ERROR, CANCELLED)
    steps = [
        {"run_id": run.id, "index": index, "name": step.name, "status": run.status}
        for index, step in enumerate(run.steps, start=1)
    ]
    return {
        "id": run.id,
        "job_definition_id": run.job_id,
        "status": run.status,
        "status_humanized": STATUS_NAMES[run.status],
        "is_complete": finished,
        "is_success": run.status == SUCCESS,
        "is_error": run.status == ERROR,
        "is_cancelled": run.status == CANCELLED,
        "run_steps": steps if with_steps else [],
    }


def _envelope(data: Any, code: int = 200, message: str = "Success!") -> dict[str, Any]:
    return {
        "status": {"code": code, "is_success": code < 400, "user_message": message},
        "data": data,
    }


def _handler(standin: DbtCloudStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._respond("GET")

        def do_POST(self) -> None:
            self._respond("POST")

        def _respond(self, method: str) -> None:
            reply = standin.answer(method, self.path, self.headers.get("Authorization"))
            if isinstance(reply.body, bytes):
                payload, content_type = reply.body, "application/octet-stream"
            else:
                payload, content_type = json.dumps(reply.body).encode(), "application/json"
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
