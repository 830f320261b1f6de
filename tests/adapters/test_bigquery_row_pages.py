"""BigQuery's stream through the real google-cloud-bigquery client, against a local stand-in of
the three REST calls a query makes: insert a job, get it, and read its result page by page.

What this checks is dbt-clarify's use of the client: a standard-SQL query job, pages of the
stream's batch size requested as rows are taken (not all at once), values typed by the result's
schema, and the DB-API view a stream reads (``description``, ``fetchmany``). BigQuery itself is
not here: the SQL is not run, only recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.offline import required
from dbt_clarify.dbt.streams import BigQueryRows

pytestmark = pytest.mark.adapters

PROJECT = "placeholder-project"
SCHEMA = [
    {"name": "email", "type": "STRING", "mode": "NULLABLE"},
    {"name": "employees", "type": "INTEGER", "mode": "NULLABLE"},
    {"name": "updated_at", "type": "TIMESTAMP", "mode": "NULLABLE"},
]
START = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
ROWS = [
    (f"p{i}@x.io", i * 10 if i % 3 else None, START.replace(minute=i, microsecond=i))
    for i in range(11)
]


def as_json_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row as the REST API sends it: every value as text, timestamps in microseconds."""
    email, employees, updated_at = row
    micros = int(updated_at.timestamp()) * 1_000_000 + updated_at.microsecond
    values = [email, None if employees is None else str(employees), str(micros)]
    return {"f": [{"v": value} for value in values]}


@dataclass
class StandIn:
    """What the stand-in was asked: the queries, and the page size and offset of each read."""

    url: str = ""
    queries: list[dict[str, Any]] = field(default_factory=list)
    pages: list[tuple[int, int]] = field(default_factory=list)


def handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    jobs: dict[str, dict[str, Any]] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def reply(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            job_id = body["jobReference"]["jobId"]
            stand_in.queries.append(body["configuration"]["query"])
            jobs[job_id] = {
                "jobReference": {"projectId": PROJECT, "jobId": job_id, "location": "US"},
                "configuration": body["configuration"],
                "status": {"state": "DONE"},
            }
            self.reply(jobs[job_id])

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            kind, job_id = url.path.split("/")[-2:]
            if kind == "jobs":
                self.reply(jobs[job_id])
                return
            params = parse_qs(url.query)
            size = int(params.get("maxResults", ["1000"])[0])
            start = int(params.get("pageToken", ["0"])[0])
            stand_in.pages.append((size, start))
            page = ROWS[start : start + size] if size else []
            reply = {
                "jobReference": jobs[job_id]["jobReference"],
                "jobComplete": True,
                "schema": {"fields": SCHEMA},
                "totalRows": str(len(ROWS)),
                "rows": [as_json_row(row) for row in page],
            }
            if size and start + size < len(ROWS):
                reply["pageToken"] = str(start + size)
            self.reply(reply)

    return Handler


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    recorded = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(recorded))
    recorded.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def client(stand_in: StandIn) -> Any:
    bigquery = required("google.cloud.bigquery", "dbt-bigquery")
    credentials = required("google.auth.credentials", "dbt-bigquery")
    return bigquery.Client(
        project=PROJECT,
        credentials=credentials.AnonymousCredentials(),
        client_options={"api_endpoint": stand_in.url},
    )


def test_rows_arrive_in_pages_of_the_batch_size_as_they_are_taken(
    client: Any, stand_in: StandIn
) -> None:
    rows = BigQueryRows(client, "select email, employees, updated_at from t", page_size=4)
    assert [column[0] for column in rows.description] == ["email", "employees", "updated_at"]
    assert stand_in.queries == [
        {"query": "select email, employees, updated_at from t", "useLegacySql": False}
    ]
    assert rows.fetchmany(3) == ROWS[:3]
    assert stand_in.pages == [(4, 0)]  # (rows asked for, from row) of each page read
    assert rows.fetchmany(5) == ROWS[3:8]
    assert rows.fetchmany(5) == ROWS[8:]
    assert rows.fetchmany(5) == []
    assert stand_in.pages == [(4, 0), (4, 4), (4, 8)]


def test_a_closed_stream_reads_no_further_pages(client: Any, stand_in: StandIn) -> None:
    rows = BigQueryRows(client, "select 1", page_size=2)
    assert rows.fetchmany(2) == ROWS[:2]
    rows.close()
    assert rows.fetchmany(2) == []
    assert stand_in.pages == [(2, 0)]
