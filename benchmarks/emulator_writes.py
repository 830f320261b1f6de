"""What the emulator's own work costs a record written, without HTTP or a sync around it.

With the rate limit lifted, a sync and the emulator share the machine's cores, so the
emulator's CPU a record bounds the lifted rate as much as the sync's (whole_sync.py's bound).
This calls the emulator's gateway in-process, as its HTTP server does for each request, with
bulk upserts shaped like a sync's of integration_tests' load models: people matched on their
email, with a name, a title, a company link and a custom field, in batches of ``--batch-size``.
Every person is created, then updated, and each answer is encoded as the server would send it.
It prints the process's CPU a record for each pass, under the emulator process's own
collection settings.

    python benchmarks/emulator_writes.py --people 20000

Under callgrind, two sizes give the instructions a record, start-up cancelled out:
``valgrind --tool=callgrind python benchmarks/emulator_writes.py --people 2000``, then 6000.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from typing import Any

import orjson

from dbt_clarify.emulator import EmulatorConfig
from dbt_clarify.emulator.api import ClarifyApi
from dbt_clarify.emulator.gateway import Gateway
from dbt_clarify.heap import young_collections_rarer

WORKSPACE = "/v1/workspaces/bench"
STAGES = ("Lead", "MQL", "SQL", "Customer")


class Emulator:
    """The emulator's gateway and API in this process, answering raw request bodies."""

    def __init__(self) -> None:
        self.config = EmulatorConfig(
            workspace="bench", rate_limit_per_minute=None, schema_delay_s=0
        )
        self.api = ClarifyApi(self.config)
        self.gateway = Gateway(self.api, self.config, threading.Event())
        self.headers = {
            "Authorization": f"api-key {self.config.api_key}",
            "Content-Type": "application/json",
            "Host": "127.0.0.1",
        }

    def post(self, path: str, body: bytes) -> Any:
        response = self.gateway.handle("POST", WORKSPACE + path, self.headers, body)
        if response is None or response.status >= 300:
            raise SystemExit(f"POST {path} was refused: {response and response.body}")
        return response.body


def company_ids(emulator: Emulator, count: int, batch_size: int) -> list[str]:
    ids = []
    for start in range(0, count, batch_size):
        data = [
            {
                "type": "company",
                "attributes": {"domains": {"items": [f"load{n}.example"]}, "name": f"Load {n}"},
            }
            for n in range(start, min(start + batch_size, count))
        ]
        body = orjson.dumps({"data": data, "match_on": "domains"})
        ids += [
            record["id"] for record in emulator.post("/objects/company/records/bulk", body)["data"]
        ]
    return ids


def people_bodies(
    people: int, batch_size: int, companies: list[str], version: int
) -> Iterator[bytes]:
    """Bulk upserts of every person, as the sync sends them: matched on email, appending it."""
    for start in range(0, people, batch_size):
        data = [
            {
                "type": "person",
                "attributes": {
                    "email_addresses": {"items": [f"person{n}@load{n % len(companies)}.example"]},
                    "name": {"first_name": f"First{n}", "last_name": f"Last{n}"},
                    "job_title": f"Title {version}.{n % 7}",
                    "company_id": companies[n % len(companies)],
                    "lifecycle_stage": STAGES[n % len(STAGES)],
                },
            }
            for n in range(start, min(start + batch_size, people))
        ]
        meta = {"email_addresses": {"collection": "append"}}
        yield orjson.dumps({"data": data, "match_on": "email_addresses", "meta": meta})


def timed_pass(emulator: Emulator, bodies: list[bytes]) -> float:
    """CPU seconds to answer ``bodies``, each answer encoded as the server sends it."""
    started = time.process_time()
    for body in bodies:
        orjson.dumps(emulator.post("/objects/person/records/bulk", body))
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    emulator = Emulator()
    field = {"lifecycle_stage": {"type": ["string", "null"]}}
    emulator.post(
        "/schemas/person/properties",
        orjson.dumps({"data": {"type": "schema-properties", "attributes": field}}),
    )
    companies = company_ids(emulator, max(args.people // 40, 1), args.batch_size)
    with young_collections_rarer():
        for label, version in (("create", 1), ("update", 2)):
            bodies = list(people_bodies(args.people, args.batch_size, companies, version))
            seconds = timed_pass(emulator, bodies)
            print(
                f"{label}: {args.people:,} people in batches of {args.batch_size}: "
                f"{seconds:.2f} s of CPU, {seconds / args.people * 1e6:.1f} µs a record"
            )
    people = emulator.api.records("person")
    updated = sum(person["job_title"].startswith("Title 2.") for person in people)
    if len(people) != args.people or updated != args.people:
        raise SystemExit(f"{len(people)} people stored, {updated} updated; {args.people} sent")


if __name__ == "__main__":
    main()
