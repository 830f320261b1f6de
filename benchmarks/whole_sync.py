"""A whole sync at scale: throughput against Clarify's ceiling, the sync's CPU and memory, the
cost of re-runs, and a naive one-request-per-row script on the same data.

For each size N it builds integration_tests' load models (N people, N/40 companies) in a scratch
DuckDB file, then, each sync a fresh ``dbt-clarify`` child process (CPU and peak memory are its
own, dbt's start-up included) against the emulator in another child process:

1. first sync at the real rate limit and latency (only up to ``--rate-limited-max-rows``);
2. first sync with the emulator's limit lifted and the client's pacing off (how fast the tool
   itself goes), then, back at the real limit and latency, a re-run with nothing changed and a
   run after 1% of the people changed.

The naive baseline (``naive_sync.py``) runs once, on the first ``--naive-rows`` people. Prints a
table and writes it as JSON under benchmarks/results/.

    python benchmarks/whole_sync.py                    # 10k, 100k and 1M people
    python benchmarks/whole_sync.py --quick            # 2,000 people, a smoke run
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from emulator_process import emulator_process
from naive_sync import NaiveResult, naive_sync
from rich.console import Console
from rich.table import Table
from sync_process import SyncRequest

from dbt_clarify.clarify import ClientOptions
from dbt_clarify.emulator import EmulatorConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "benchmarks" / "results"
INTEGRATION_TESTS = REPO_ROOT / "integration_tests"
SYNC_PROCESS = Path(__file__).with_name("sync_process.py")
SELECT = "tag:clarify_load"
WORKSPACE = "bench"
LIFTED_CLIENT_RATE = 10**9
"""The client's pacing when the emulator's limit is lifted: none to speak of."""
CHANGED_EVERY = 100
"""Every 100th person changes in the 1% run."""


@dataclass(frozen=True)
class SyncRun:
    """One sync child process, as the parent saw it and as its run result says."""

    wall_s: float
    cpu_s: float
    """User + system CPU of the sync process, start-up included."""
    peak_rss_mb: float
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    failed: int
    requests: int
    """Counted by the emulator (every API request, 429s included)."""
    sending_s: float
    """The models' own time in the run result: reading, sending, checkpointing (no start-up)."""
    emulator_cpu_s: float
    """CPU of the emulator's process meanwhile: on a machine of few cores, it competes."""


@dataclass(frozen=True)
class SizeResult:
    people: int
    companies: int
    limited_first: SyncRun | None
    lifted_first: SyncRun
    noop_rerun: SyncRun
    changed_rerun: SyncRun


@dataclass(frozen=True)
class Setup:
    latency_ms: float
    lifted_latency_ms: float
    rate_limit: int
    batch_size: int
    bulk_batch_cap: int | None
    concurrency: int

    @property
    def ceiling_rows_s(self) -> float:
        """The most rows a second Clarify's limit allows: one bulk request carries a batch."""
        return self.rate_limit / 60 * self.batch_size

    def emulator(self, key: str, *, lifted: bool) -> EmulatorConfig:
        return EmulatorConfig(
            workspace=WORKSPACE,
            api_key=key,
            latency_ms=self.lifted_latency_ms if lifted else self.latency_ms,
            rate_limit_per_minute=None if lifted else self.rate_limit,
            bulk_batch_cap=self.bulk_batch_cap,
        )


class ScratchProject:
    """A copy of integration_tests in a scratch directory, with one DuckDB file per size."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "integration_tests"
        shutil.copytree(
            INTEGRATION_TESTS,
            self.dir,
            ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb*"),
        )
        self.env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(self.dir),
            "DBT_CLARIFY_TARGET": "duckdb",
            "DBT_CLARIFY_PACKAGE_DIR": str(REPO_ROOT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        self.dbt("deps")

    def use_database(self, path: Path) -> None:
        self.env["DBT_CLARIFY_DUCKDB_PATH"] = str(path)

    def dbt(self, *args: str) -> None:
        dbt = Path(sys.executable).with_name("dbt")
        completed = subprocess.run(
            [str(dbt) if dbt.exists() else "dbt", *args, "--project-dir", str(self.dir)],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise SystemExit(f"`dbt {' '.join(args)}` failed:\n{completed.stdout}")

    def build(self, people: int, version: int = 1, changed_every: int = 1) -> None:
        self.dbt("run", "--select", SELECT, "--vars", load_vars(people, version, changed_every))


def companies_of(people: int) -> int:
    """Companies in the load models for ``people`` people: one per 40, at least one."""
    return max(people // 40, 1)


def load_vars(people: int, version: int = 1, changed_every: int = 1) -> str:
    return json.dumps(
        {
            "dbt_clarify_load_rows": people,
            "dbt_clarify_load_version": version,
            "dbt_clarify_load_changed_every": changed_every,
        }
    )


class Emulator:
    """An emulator child process, reached over HTTP: its URL, request count and settings."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._inspect = httpx.Client(base_url=f"{url}/_emulator", timeout=60)

    def counters(self) -> tuple[int, float]:
        """Requests answered so far, and the emulator process's CPU seconds."""
        stats = self._inspect.get("/stats").json()
        return int(stats["total"]), float(stats["process_cpu_s"])

    def configure(self, **changes: Any) -> None:
        self._inspect.post("/config", json=changes).raise_for_status()

    def close(self) -> None:
        self._inspect.close()


@contextmanager
def emulator(config: EmulatorConfig) -> Iterator[Emulator]:
    with emulator_process(config) as url:
        running = Emulator(url)
        try:
            yield running
        finally:
            running.close()


def clarify_env(project: ScratchProject, target: Emulator, key: str) -> dict[str, str]:
    return {
        **project.env,
        "CLARIFY_API_KEY": key,
        "CLARIFY_WORKSPACE": WORKSPACE,
        "CLARIFY_API_URL": target.url,
    }


def create_fields(project: ScratchProject, target: Emulator, key: str, people: int) -> None:
    """Create the load models' custom field (lifecycle_stage), as a user does before a sync."""
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "dbt_clarify", "fields", "--select", SELECT),
            *("--vars", load_vars(people), "--project-dir", str(project.dir)),
        ],
        cwd=project.dir,
        env=clarify_env(project, target, key),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"`dbt-clarify fields` failed:\n{completed.stdout}{completed.stderr}")


@dataclass(frozen=True)
class ChildUsage:
    """A child process's own cost, as ``os.wait4`` reports it, and how it ended."""

    exit_code: int
    wall_s: float
    cpu_s: float
    """User + system CPU, the interpreter's start and every import included."""
    peak_rss_mb: float
    stderr: str


def run_measured(command: list[str], *, cwd: Path, env: dict[str, str]) -> ChildUsage:
    """Run ``command`` to its end; stdout is dropped, stderr kept for a failure's message."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall_s = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    return ChildUsage(
        exit_code=os.waitstatus_to_exitcode(status),
        wall_s=round(wall_s, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),  # kilobytes on Linux
        stderr=stderr,
    )


def run_sync(
    project: ScratchProject,
    target: Emulator,
    key: str,
    request: SyncRequest,
) -> SyncRun:
    """Run one sync in a child process; its CPU and peak memory come from wait4."""
    requests_before, emulator_cpu_before = target.counters()
    run_result = Path(request.run_result)
    run_result.unlink(missing_ok=True)
    child = run_measured(
        [sys.executable, str(SYNC_PROCESS), json.dumps(asdict(request))],
        cwd=project.dir,
        env=clarify_env(project, target, key),
    )
    if child.exit_code != 0 or not run_result.exists():
        raise SystemExit(f"the sync failed (exit code {child.exit_code}):\n{child.stderr[-4000:]}")
    models = json.loads(run_result.read_text())["models"]

    def total(name: str) -> int:
        return sum(int(m[name]) for m in models)

    requests_after, emulator_cpu_after = target.counters()
    return SyncRun(
        wall_s=child.wall_s,
        cpu_s=child.cpu_s,
        peak_rss_mb=child.peak_rss_mb,
        rows_read=total("read"),
        created=total("created"),
        updated=total("updated"),
        unchanged=total("unchanged"),
        rejected=total("rejected"),
        failed=total("failed"),
        requests=requests_after - requests_before,
        sending_s=round(sum(float(m["elapsed_s"]) for m in models), 2),
        emulator_cpu_s=round(emulator_cpu_after - emulator_cpu_before, 2),
    )


def measure_size(
    project: ScratchProject, scratch: Path, people: int, setup: Setup, limited: bool
) -> SizeResult:
    companies = companies_of(people)
    project.use_database(scratch / f"load_{people}.duckdb")
    project.build(people)
    key = secrets.token_urlsafe(16)

    def request(state_schema: str, client_rate: int) -> SyncRequest:
        return SyncRequest(
            project_dir=str(project.dir),
            vars=load_vars(people),
            select=SELECT,
            state_schema=state_schema,
            batch_size=setup.batch_size,
            concurrency=setup.concurrency,
            client_rate_limit=client_rate,
            run_result=str(scratch / "clarify_run_results.json"),
        )

    limited_first = None
    if limited:
        with emulator(setup.emulator(key, lifted=False)) as real:
            create_fields(project, real, key, people)
            limited_first = run_sync(project, real, key, request("limited_state", setup.rate_limit))
        check_complete("rate-limited first sync", limited_first, people + companies)

    with emulator(setup.emulator(key, lifted=True)) as lifted:
        create_fields(project, lifted, key, people)
        lifted_first = run_sync(project, lifted, key, request("lifted_state", LIFTED_CLIENT_RATE))
        check_complete("rate-lifted first sync", lifted_first, people + companies)
        # The re-runs meet Clarify as it is: the real limit and latency, the client paced.
        lifted.configure(rate_limit_per_minute=setup.rate_limit, latency_ms=setup.latency_ms)
        paced = request("lifted_state", setup.rate_limit)
        noop = run_sync(project, lifted, key, paced)
        project.build(people, version=2, changed_every=CHANGED_EVERY)
        changed_request = SyncRequest(
            **{**asdict(paced), "vars": load_vars(people, 2, CHANGED_EVERY)}
        )
        changed = run_sync(project, lifted, key, changed_request)
    changed_people = people // CHANGED_EVERY
    if noop.rows_read or changed.updated != changed_people:
        raise SystemExit(
            f"{people:,} people: the no-op re-run read {noop.rows_read} rows (expected 0) and"
            f" the 1% run updated {changed.updated} (expected {changed_people})"
        )
    return SizeResult(people, companies, limited_first, lifted_first, noop, changed)


def check_complete(what: str, run: SyncRun, rows: int) -> None:
    if run.created != rows or run.rejected or run.failed:
        raise SystemExit(
            f"{what}: created {run.created} of {rows} records"
            f" ({run.rejected} rejected, {run.failed} failed)"
        )


def measure_naive(project: ScratchProject, scratch: Path, rows: int, setup: Setup) -> NaiveResult:
    """The naive script on the first ``rows`` people of the smallest model, at the real limit."""
    key = secrets.token_urlsafe(16)
    with emulator(setup.emulator(key, lifted=False)) as real:
        return naive_sync(
            real.url, WORKSPACE, key, Path(project.env["DBT_CLARIFY_DUCKDB_PATH"]), rows
        )


def per_thousand(value: float, rows: int) -> float:
    return value / rows * 1000 if rows else float("nan")


def lifted_bound(run: SyncRun, rows: int, cores: int) -> float:
    """The rows/s ``run`` would have reached had the sync and the emulator kept ``cores`` busy
    while the rows were sent: its start-up and end as measured, its sending as the CPU both
    processes spent on it, shared over the cores.

    Start-up and end (the wall time outside the models) run on one core with the emulator
    idle, so their CPU is taken to be their wall time. Each process runs its Python on one core
    at a time, so no more than two count. The bound moves with the machine's speed as the
    measured rate does; the share of it reached says how well the two processes overlap, and
    compares between runs in hours of different speed.
    """
    outside_s = run.wall_s - run.sending_s
    sending_cpu_s = run.cpu_s - outside_s + run.emulator_cpu_s
    return rows / (outside_s + sending_cpu_s / min(cores, 2))


def summary_rows(
    results: list[SizeResult], naive: NaiveResult | None, setup: Setup, cores: int
) -> list[Any]:
    """One dictionary per size: the figures the issue asks for, named as in the table, and the
    bound on the lifted rate that the sync and the emulator sharing ``cores`` allow."""
    rows: list[dict[str, Any]] = []
    for r in results:
        limited, lifted = r.limited_first, r.lifted_first
        rows_total = lifted.rows_read
        limited_rate = rows_total / limited.wall_s if limited else None
        rows.append(
            {
                "people": r.people,
                "rows": rows_total,
                "limited_rows_s": round(limited_rate) if limited_rate else None,
                "limited_share": round(limited_rate / setup.ceiling_rows_s, 3)
                if limited_rate
                else None,
                "limited_sending_share": round(
                    rows_total / limited.sending_s / setup.ceiling_rows_s, 3
                )
                if limited
                else None,
                "requests_per_1000_rows": round(per_thousand(lifted.requests, rows_total), 1),
                "lifted_rows_s": round(rows_total / lifted.wall_s),
                "lifted_sending_rows_s": round(rows_total / lifted.sending_s),
                "lifted_bound_rows_s": round(lifted_bound(lifted, rows_total, cores)),
                "cpu_us_per_row": round(lifted.cpu_s / rows_total * 1e6, 1),
                "emulator_cpu_us_per_row": round(lifted.emulator_cpu_s / rows_total * 1e6, 1),
                "peak_rss_mb": lifted.peak_rss_mb,
                "noop_rerun_s": r.noop_rerun.wall_s,
                "changed_rerun_s": r.changed_rerun.wall_s,
                "changed_rerun_requests": r.changed_rerun.requests,
                "vs_naive": round(limited_rate / naive.rows_s, 1)
                if limited_rate and naive
                else None,
            }
        )
    return rows


def print_table(
    summary: list[dict[str, Any]], naive: NaiveResult | None, setup: Setup, load: Any
) -> None:
    def cell(value: Any, form: str = "{:,}") -> str:
        return "—" if value is None else form.format(value)

    table = Table(
        title=(
            f"Whole sync: batch {setup.batch_size} (emulator cap {setup.bulk_batch_cap}),"
            f" concurrency {setup.concurrency}, {setup.rate_limit}/min,"
            f" latency {setup.latency_ms:g} ms; ceiling {setup.ceiling_rows_s:,.0f} rows/s"
        ),
        title_justify="left",
    )
    for header in (
        "people",
        "rows",
        "limited rows/s",
        "share",
        "req/1k rows",
        "lifted rows/s",
        "bound",
        "CPU µs/row",
        "emulator µs/row",
        "peak RSS MB",
        "no-op s",
        "1% s",
        "x naive",
    ):
        table.add_column(header, justify="right")
    for s in summary:
        table.add_row(
            f"{s['people']:,}",
            f"{s['rows']:,}",
            cell(s["limited_rows_s"]),
            cell(s["limited_share"], "{:.1%}"),
            cell(s["requests_per_1000_rows"], "{:.1f}"),
            cell(s["lifted_rows_s"]),
            cell(s["lifted_bound_rows_s"]),
            cell(s["cpu_us_per_row"], "{:.1f}"),
            cell(s["emulator_cpu_us_per_row"], "{:.1f}"),
            cell(s["peak_rss_mb"], "{:.0f}"),
            cell(s["noop_rerun_s"], "{:.1f}"),
            cell(s["changed_rerun_s"], "{:.1f}"),
            cell(s["vs_naive"], "{:.0f}"),
        )
    naive_line = (
        f"naive baseline: {naive.rows:,} people, {naive.rows_s:.1f} rows/s,"
        f" {naive.requests_per_1000_rows:,.0f} requests per 1,000 rows"
        if naive
        else "naive baseline: not run"
    )
    table.caption = (
        f"{naive_line}; rate-lifted runs: no limit, latency {setup.lifted_latency_ms:g} ms;"
        f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    table.caption_justify = "left"
    Console(width=200).print(table)


def commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout.strip() or "unknown"


def compile_package(root: Path = REPO_ROOT) -> None:
    """Compile the dbt_clarify package of the checkout at ``root`` to bytecode, as pip does
    when it installs the package.

    A checkout is an editable install, whose bytecode Python writes on first import, unless
    PYTHONDONTWRITEBYTECODE is set: then every sync process compiles the modules it imports
    again, which an installed package never does (2% of a no-op re-run's instructions).
    """
    compileall.compile_dir(root / "dbt_clarify", quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[10_000, 100_000, 1_000_000],
        help="people per model, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 people")
    parser.add_argument(
        "--rate-limited-max-rows",
        type=int,
        default=100_000,
        help="largest size that gets the rate-limited first sync (default 100000)",
    )
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument(
        "--lifted-latency-ms",
        type=float,
        default=0.0,
        help="latency of the rate-lifted first sync (default 0: the tool's own speed)",
    )
    parser.add_argument("--rate-limit", type=int, default=3000, help="requests/min per endpoint")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--bulk-batch-cap", type=int, default=100)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=ClientOptions().concurrency,
        help="requests in flight at most (default: the sync's own)",
    )
    parser.add_argument("--naive-rows", type=int, default=500, help="0 skips the baseline")
    args = parser.parse_args(argv)
    sizes = [2000] if args.quick else sorted(args.sizes)
    compile_package()
    setup = Setup(
        latency_ms=args.latency_ms,
        lifted_latency_ms=args.lifted_latency_ms,
        rate_limit=args.rate_limit,
        batch_size=args.batch_size,
        bulk_batch_cap=args.bulk_batch_cap,
        concurrency=args.concurrency,
    )
    started = datetime.now(timezone.utc)
    results: list[SizeResult] = []
    naive = None
    with tempfile.TemporaryDirectory(prefix="dbt-clarify-whole-sync-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = ScratchProject(scratch)
        for people in sizes:
            limited = people <= args.rate_limited_max_rows
            results.append(measure_size(project, scratch, people, setup, limited))
            if naive is None and args.naive_rows:
                naive = measure_naive(project, scratch, min(args.naive_rows, people), setup)
    load = os.getloadavg()
    cores = len(os.sched_getaffinity(0))  # shared by the sync and the emulator
    summary = summary_rows(results, naive, setup, cores)
    print_table(summary, naive, setup, load)
    RESULTS.mkdir(exist_ok=True)
    revision = commit()
    path = RESULTS / f"sync_{started:%Y%m%dT%H%M%SZ}_{revision}.json"
    document = {
        "started_at": started.isoformat(),
        "commit": revision,
        "load_average": load,
        "cores": cores,
        "setup": {**asdict(setup), "ceiling_rows_s": setup.ceiling_rows_s},
        "summary": summary,
        "naive": asdict(naive) if naive else None,
        "runs": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"written to {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
