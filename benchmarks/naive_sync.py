"""The script a user might write instead of dbt-clarify: one person at a time, one request each.

For every row: look the person up by email through the API's filter, then create the record
or PATCH the one found. Synchronous httpx, no batching, no concurrency, a plain wait on a 429.
It sends only the person's own standard fields (email, name, job title): no company link and
no custom field, which spares it work the real sync does. The whole-sync benchmark runs it on a
sample of the load model, against the same emulator settings, as its baseline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx

PEOPLE_SQL = """
select email, first_name, last_name, title
from clarify_load_people
order by email
limit ?
"""


@dataclass(frozen=True)
class NaiveResult:
    rows: int
    elapsed_s: float
    rows_s: float
    requests: int
    requests_per_1000_rows: float


def _send(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request, waiting out a 429 as its Retry-After asks."""
    while True:
        response = client.request(method, url, **kwargs)
        if response.status_code != 429:
            response.raise_for_status()
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")))


def naive_sync(
    base_url: str, workspace: str, api_key: str, database: Path, rows: int
) -> NaiveResult:
    with duckdb.connect(str(database), read_only=True) as connection:
        people = connection.execute(PEOPLE_SQL, [rows]).fetchall()
    sent: list[str] = []
    started = time.perf_counter()
    with httpx.Client(
        base_url=f"{base_url}/v1/workspaces/{workspace}",
        headers={"Authorization": f"api-key {api_key}"},
        timeout=30,
        event_hooks={"request": [lambda request: sent.append(request.method)]},
    ) as client:
        for email, first_name, last_name, title in people:
            attributes = {
                "email_addresses": {"items": [email]},
                "name": {"first_name": first_name, "last_name": last_name},
                "job_title": title,
            }
            found = _send(
                client,
                "GET",
                "/objects/person/resources",
                params={"filter[email_addresses][Contains]": email},
            ).json()["data"]
            record = {"type": "person", "attributes": attributes}
            if found:
                path = f"/objects/person/records/{found[0]['id']}"
                _send(client, "PATCH", path, json={"data": {**record, "id": found[0]["id"]}})
            else:
                _send(client, "POST", "/objects/person/records", json={"data": record})
    elapsed = time.perf_counter() - started
    return NaiveResult(
        rows=len(people),
        elapsed_s=round(elapsed, 2),
        rows_s=round(len(people) / elapsed, 2),
        requests=len(sent),
        requests_per_1000_rows=len(sent) / len(people) * 1000 if people else 0.0,
    )
