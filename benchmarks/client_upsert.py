"""How close the client gets to Clarify's rate limit when upserting people in bulk.

Starts the local emulator with the real per-endpoint limit (3,000 requests a minute over a
rolling window) and the given latency, upserts generated people through ``match_on``, and
reports rows/s against the ceiling the limit allows: limit / 60 x batch size rows a second.

    python benchmarks/client_upsert.py --rows 5000 --latency-ms 30
    python benchmarks/client_upsert.py --rows 5000 --latency-ms 30 \
        --batch-size 100 --bulk-batch-cap 100

The emulator runs in a process of its own, as Clarify would, so that its work does not compete
with the client's for one interpreter lock. Its window starts empty, so a client could burst at
the start; this client paces evenly after a bounded burst, and the "steady" figures (rows landed in
the second half of the run's time) show the rate a long sync holds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from emulator_process import emulator_process
from pydantic import SecretStr

from dbt_clarify.clarify import ClarifyClient, ClientOptions
from dbt_clarify.clarify.transport import AiohttpTransport
from dbt_clarify.emulator import EmulatorConfig
from dbt_clarify.settings import ClarifySettings

BULK_ENDPOINT = "POST /objects/{object}/records/bulk"


@dataclass
class Completion:
    at: float
    rows: int


@dataclass
class TimedTransport(httpx.AsyncBaseTransport):
    """Notes when each bulk answer arrives and how many rows it carried."""

    inner: httpx.AsyncBaseTransport
    completions: list[Completion] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/records/bulk"):
            rows = len(json.loads(request.content)["data"]) if response.status_code == 200 else 0
            self.completions.append(Completion(time.perf_counter(), rows))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _people(count: int) -> list[dict[str, Any]]:
    return [
        {
            "email_addresses": {"items": [f"person{i}@bench.example.com"]},
            "name": {"first_name": f"First{i}", "last_name": f"Last{i}"},
            "job_title": ("Engineer", "Buyer", "Founder")[i % 3],
        }
        for i in range(count)
    ]


def _steady_rate(completions: list[Completion], started: float) -> float:
    """Rows a second landed in the second half of the run's time, after any opening burst."""
    if not completions:
        return float("nan")
    end = max(c.at for c in completions)
    middle = (started + end) / 2
    rows = sum(c.rows for c in completions if c.at > middle)
    return rows / (end - middle) if end > middle else float("nan")


async def _run(args: argparse.Namespace) -> int:
    key = secrets.token_urlsafe(16)
    config = EmulatorConfig(
        workspace="bench",
        api_key=key,
        latency_ms=args.latency_ms,
        rate_limit_per_minute=args.rate_limit,
        bulk_batch_cap=args.bulk_batch_cap,
    )
    options = ClientOptions(
        concurrency=args.concurrency,
        batch_size=args.batch_size,
        rate_limit_per_minute=args.rate_limit,
    )
    transport = TimedTransport(AiohttpTransport(max_connections=args.concurrency))
    people = _people(args.rows)
    with emulator_process(config) as url:
        settings = ClarifySettings(SecretStr(key), "bench", url)
        async with ClarifyClient(settings, options, transport=transport) as client:
            started = time.perf_counter()
            outcomes = await client.upsert_many("person", people, match_on="email_addresses")
            elapsed = time.perf_counter() - started
            stats = client.stats
        async with httpx.AsyncClient(base_url=f"{url}/_emulator") as inspect:
            server_stats = (await inspect.get("/stats")).json()
            stored = len((await inspect.get("/records/person")).json()["data"])

    failed = [o for o in outcomes if not o.ok]
    overall = args.rows / elapsed
    steady = _steady_rate(transport.completions, started)
    ceiling = args.rate_limit / 60 * options.batch_size
    by_status = ", ".join(
        f"{status}: {n}"
        for (endpoint, status), n in sorted(stats.sent.items())
        if endpoint == BULK_ENDPOINT
    )
    server_429 = sum(n.get("429", 0) for n in server_stats["requests"].values())
    print(
        f"rows        {args.rows} people, batch size {options.batch_size}, concurrency "
        f"{args.concurrency}, latency {args.latency_ms:g} ms, limit {args.rate_limit}/min"
    )
    print(f"elapsed     {elapsed:.2f} s; {stored} people stored, {len(failed)} failed")
    print(f"throughput  {overall:,.0f} rows/s overall, {steady:,.0f} rows/s steady")
    print(f"requests    {stats.total} ({by_status}); retries {stats.retries}; 429s {server_429}")
    print(f"ceiling     {ceiling:,.0f} rows/s ({args.rate_limit}/60 x {options.batch_size})")
    print(f"share       {overall / ceiling:.1%} overall, {steady / ceiling:.1%} steady")
    return 1 if failed or stored != args.rows else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--bulk-batch-cap", type=int, default=100)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=ClientOptions().concurrency,
        help="requests in flight at most (default: the client's own)",
    )
    parser.add_argument("--rate-limit", type=int, default=3000, help="requests/min per endpoint")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
