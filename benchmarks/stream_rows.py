"""How fast the sync reads a large model out of the warehouse, and how much memory that takes.

Builds a table of generated people (seven columns, an ``updated_at`` cursor) with dbt in a
scratch project on DuckDB and/or PostgreSQL, then reads every row the way a first sync does:
``read_changed_rows`` with an empty per-row ledger (``--full-refresh``: none), through
``DbtProject`` and ``Warehouse``, in a fresh child process. Prints rows/s and the child's peak
resident memory (the whole sync process: dbt's import and parse included), and writes them as
JSON under benchmarks/results/.

    python benchmarks/stream_rows.py --rows 1000000 --warehouse both

PostgreSQL is the server named by DBT_CLARIFY_TEST_POSTGRES_URL, else a throwaway one started
from PostgreSQL's server binaries, as the test suite does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dbt_clarify.dbt import DbtProject, ProjectOptions
from dbt_clarify.engine.options import READ_BATCH_ROWS
from dbt_clarify.engine.reader import LedgerFilter, RowSelection, read_changed_rows
from dbt_clarify.state import StateStore, default_state_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "benchmarks" / "results"
sys.path.insert(0, str(REPO_ROOT / "tests"))  # the test suite's PostgreSQL server helpers
from support.postgres import PostgresServer, server_for_tests  # noqa: E402

MODEL = "bench_people"
COLUMNS = ("email", "first_name", "last_name", "title", "company_domain", "lifecycle_stage")
MODEL_SQL = """\
{{ config(materialized='table') }}
select
    'person' || cast(i as varchar) || '@company' || cast(i % 25000 as varchar) || '.example'
        as email,
    'First' || cast(i as varchar) as first_name,
    'Last' || cast(i as varchar) as last_name,
    'Title ' || cast(i % 7 as varchar) as title,
    'company' || cast(i % 25000 as varchar) || '.example' as company_domain,
    case i % 4 when 0 then 'Lead' when 1 then 'MQL' when 2 then 'SQL' else 'Customer' end
        as lifecycle_stage,
    cast('2024-01-01 00:00:00' as timestamp) + i * interval '1 second' as updated_at
from generate_series(1, {{ var('rows', 1) }}) as numbers(i)
"""


@dataclass(frozen=True)
class Measurement:
    warehouse: str
    settings: str
    """What differs from the defaults: the DuckDB memory limit."""
    rows: int
    read_batch_rows: int
    ledger: bool
    build_s: float
    """`dbt run` of the generated table (not part of the read)."""
    first_batch_s: float
    """From the read's start to its first batch: the query planning, sorting, hashing."""
    read_s: float
    rows_per_s: float
    rss_before_read_mb: float
    """The child's resident memory after parsing and connecting, before the read."""
    peak_rss_mb: float
    """The child's peak resident memory over its whole life."""


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def read_every_row(options: ProjectOptions, batch_rows: int, ledger: bool) -> dict[str, float]:
    """In the child: read the model as a first sync would; time it and note memory."""
    project = DbtProject.load(options)
    (node,) = project.select([MODEL])
    with project.connect() as warehouse:
        cursor_type = {c.name: c.data_type for c in warehouse.columns(node)}["updated_at"]
        ledger_filter = None
        if ledger:
            store = StateStore(warehouse, default_state_schema(project.target_schema))
            store.ensure()
            ledger_filter = LedgerFilter(
                schema=store.schema, model_id=node.unique_id, schema_hash="bench", retry_limit=3
            )
        selection = RowSelection(
            node=node,
            columns=COLUMNS,
            cursor="updated_at",
            key="email",
            cursor_type=cursor_type,
            watermark=None,
            lookback_seconds=0,
            hash_columns=COLUMNS,
            salt="bench",
            ledger=ledger_filter,
        )
        rss_before = _rss_mb()
        started = time.perf_counter()
        first_batch_s, rows = 0.0, 0
        with read_changed_rows(warehouse, selection, batch_rows) as changed:
            for batch in changed:
                if not rows:
                    first_batch_s = time.perf_counter() - started
                rows += len(batch)
        read_s = time.perf_counter() - started
    return {
        "rows_read": rows,
        "first_batch_s": first_batch_s,
        "read_s": read_s,
        "rss_before_read_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _child(options: ProjectOptions, batch_rows: int, ledger: bool, out: Any) -> None:
    out.send(read_every_row(options, batch_rows, ledger))
    out.close()


def measure_in_child(options: ProjectOptions, batch_rows: int, ledger: bool) -> dict[str, float]:
    """Run the read in a fresh interpreter, so that its peak memory is the read's alone."""
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(options, batch_rows, ledger, sending))
    child.start()
    sending.close()
    try:
        result: dict[str, float] = receiving.recv()
    except EOFError:
        child.join()
        raise SystemExit(f"the reading process failed (exit code {child.exitcode})") from None
    child.join()
    return result


def write_project(project_dir: Path, profile: dict[str, Any]) -> None:
    """A dbt project with one generated model, installing the dbt package from this repository."""
    (project_dir / "models").mkdir(parents=True)
    (project_dir / "dbt_project.yml").write_text(
        "name: stream_rows\nversion: '1.0.0'\nconfig-version: 2\nprofile: stream_rows\n"
    )
    (project_dir / "packages.yml").write_text(f"packages:\n  - local: {REPO_ROOT}\n")
    profiles = {"stream_rows": {"target": "bench", "outputs": {"bench": profile}}}
    (project_dir / "profiles.yml").write_text(json.dumps(profiles))  # JSON is YAML
    (project_dir / "models" / f"{MODEL}.sql").write_text(MODEL_SQL)


def run_dbt(project_dir: Path, *args: str) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", *args]
    command += ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    completed = subprocess.run(
        command,
        cwd=project_dir,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"`dbt {' '.join(args)}` failed:\n{completed.stdout}\n{completed.stderr}")


def duckdb_profile(scratch: Path, memory_limit: str | None) -> dict[str, Any]:
    profile: dict[str, Any] = {"type": "duckdb", "path": str(scratch / "stream_rows.duckdb")}
    if memory_limit:
        profile["settings"] = {"memory_limit": memory_limit}
    return profile


@contextlib.contextmanager
def postgres_profile() -> Iterator[dict[str, Any]]:
    """A scratch database on the tests' PostgreSQL server; both are gone on exit."""
    with server_for_tests() as server:
        yield from _scratch_database(server)


def _scratch_database(server: PostgresServer) -> Iterator[dict[str, Any]]:
    database = f"dbt_clarify_bench_{secrets.token_hex(4)}"
    server.administer(f'create database "{database}"')
    try:
        yield {
            "type": "postgres",
            "host": server.host,
            "port": server.port,
            "user": server.user,
            "password": server.password,
            "dbname": database,
            "schema": "bench",
        }
    finally:
        server.drop_database(database)


def benchmark(
    warehouse: str, profile: dict[str, Any], scratch: Path, args: argparse.Namespace
) -> Measurement:
    project_dir = scratch / warehouse
    write_project(project_dir, profile)
    rows_var = json.dumps({"rows": args.rows})
    run_dbt(project_dir, "deps")
    started = time.perf_counter()
    run_dbt(project_dir, "run", "--vars", rows_var)
    build_s = time.perf_counter() - started
    options = ProjectOptions(project_dir=project_dir, profiles_dir=project_dir, vars=rows_var)
    ledger = not args.full_refresh
    child = measure_in_child(options, args.read_batch_rows, ledger)
    if child["rows_read"] != args.rows:
        raise SystemExit(f"{warehouse}: read {child['rows_read']} rows, expected {args.rows}")
    memory_limit = profile.get("settings", {}).get("memory_limit")
    return Measurement(
        warehouse=warehouse,
        settings=f"memory_limit={memory_limit}" if memory_limit else "",
        rows=args.rows,
        read_batch_rows=args.read_batch_rows,
        ledger=ledger,
        build_s=round(build_s, 2),
        first_batch_s=round(child["first_batch_s"], 2),
        read_s=round(child["read_s"], 2),
        rows_per_s=round(args.rows / child["read_s"]),
        rss_before_read_mb=round(child["rss_before_read_mb"], 1),
        peak_rss_mb=round(child["peak_rss_mb"], 1),
    )


def print_table(measurements: list[Measurement]) -> None:
    header = ["warehouse", "settings", "rows", "build s", "first batch s", "read s", "rows/s"]
    lines = [[*header, "RSS before MB", "peak RSS MB"]]
    for m in measurements:
        lines.append(
            [
                m.warehouse,
                m.settings,
                f"{m.rows:,}",
                f"{m.build_s:.1f}",
                f"{m.first_batch_s:.2f}",
                f"{m.read_s:.2f}",
                f"{m.rows_per_s:,}",
                f"{m.rss_before_read_mb:.0f}",
                f"{m.peak_rss_mb:.0f}",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--warehouse", choices=["duckdb", "postgres", "both"], default="both")
    parser.add_argument(
        "--read-batch-rows",
        type=int,
        default=READ_BATCH_ROWS,
        help="rows per fetch (the sync's default)",
    )
    parser.add_argument(
        "--full-refresh", action="store_true", help="read without the ledger filter"
    )
    parser.add_argument(
        "--duckdb-memory-limit",
        help="DuckDB's memory_limit setting in the profile, e.g. 200MB (default: DuckDB's own)",
    )
    args = parser.parse_args()
    warehouses = ["duckdb", "postgres"] if args.warehouse == "both" else [args.warehouse]
    measurements = []
    with tempfile.TemporaryDirectory(prefix="dbt-clarify-stream-rows-") as scratch_dir:
        scratch = Path(scratch_dir)
        for warehouse in warehouses:
            if warehouse == "duckdb":
                profile = duckdb_profile(scratch, args.duckdb_memory_limit)
                measurements.append(benchmark(warehouse, profile, scratch, args))
            else:
                with postgres_profile() as profile:
                    measurements.append(benchmark(warehouse, profile, scratch, args))
    print_table(measurements)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"stream_rows-{stamp}.json"
    path.write_text(json.dumps([asdict(m) for m in measurements], indent=2) + "\n")
    print(f"written to {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
