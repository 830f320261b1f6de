"""Why a paced sync takes more CPU time than a lifted one: the same instructions, more time each.

1. Instructions: the first sync of N people (integration_tests' load models), once with the
   client paced and once lifted, then a re-run with nothing changed (start-up and checks,
   no rows), each a child process under valgrind's callgrind against an emulator with its limit
   lifted. Callgrind counts what the process executes rather than how long it takes (a lifted
   sync's count still moves a little with the machine's timing, see benchmarks/README.md); it
   also slows the process some fifty times, so the pace is set low enough (``--paced-rate``)
   for the paced sync to sleep between its requests there as it does at Clarify's limit.
2. Bursts: one small piece of Python work (building and encoding JSON documents), done back to
   back, or with a sleep after each as a paced sync does between requests, timed on the
   process's own CPU clock.

    python benchmarks/paced_cost.py                      # 20,000 people; needs valgrind
    python benchmarks/paced_cost.py --skip-instructions  # the bursts alone, in seconds
    python benchmarks/paced_cost.py --people 1000000 --lifted-only  # about 30 minutes
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sync_process import SyncRequest
from whole_sync import (
    LIFTED_CLIENT_RATE,
    RESULTS,
    SELECT,
    SYNC_PROCESS,
    ScratchProject,
    Setup,
    clarify_env,
    commit,
    companies_of,
    compile_package,
    create_fields,
    emulator,
    load_vars,
)

SETUP = Setup(
    latency_ms=0,
    lifted_latency_ms=0,
    rate_limit=3000,
    batch_size=100,
    bulk_batch_cap=100,
    concurrency=8,
)
TOTALS = re.compile(r"^totals: (\d+)$", re.MULTILINE)
BURSTS = ((200, 1500), (1000, 400))
"""Documents per burst, and bursts per timing: about 0.4 and 2 ms of work a burst here."""
SLEEPS_S = (0.0, 0.005, 0.02)


@dataclass(frozen=True)
class CountedSync:
    what: str
    instructions: int
    rows_read: int
    created: int
    requests: int


def counted_sync(
    project: ScratchProject, request: SyncRequest, env: dict[str, str], what: str
) -> CountedSync:
    """One sync under callgrind: the instructions it executed, and what it did."""
    run_result = Path(request.run_result)
    out = run_result.with_name(f"callgrind_{request.state_schema}_{what}.out")
    run_result.unlink(missing_ok=True)
    completed = subprocess.run(
        [
            *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
            *(sys.executable, str(SYNC_PROCESS), json.dumps(asdict(request))),
        ],
        cwd=project.dir,
        # The same string hashes in every run, so that dicts and sets do the same work.
        env={**env, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not run_result.exists():
        raise SystemExit(f"the {what} sync failed under callgrind:\n{completed.stderr[-4000:]}")
    found = TOTALS.search(out.read_text(errors="replace"))
    if found is None:
        raise SystemExit(f"{out} holds no instruction total")
    models = json.loads(run_result.read_text())["models"]
    return CountedSync(
        what=what,
        instructions=int(found.group(1)),
        rows_read=sum(int(m["read"]) for m in models),
        created=sum(int(m["created"]) for m in models),
        requests=sum(int(m["requests"]) for m in models),
    )


def count_first_and_noop(
    scratch: Path, people: int, client_rate: int, state: str
) -> list[CountedSync]:
    """A first sync at ``client_rate`` requests a minute, then a re-run with nothing changed.

    Each mode gets a project and emulator of its own, so that the two modes can run at once.
    """
    project = ScratchProject(scratch / state)
    project.use_database(scratch / state / "load.duckdb")
    project.build(people)
    key = secrets.token_urlsafe(16)
    with emulator(SETUP.emulator(key, lifted=True)) as target:
        create_fields(project, target, key, people)
        request = SyncRequest(
            project_dir=str(project.dir),
            vars=load_vars(people),
            select=SELECT,
            state_schema=state,
            batch_size=SETUP.batch_size,
            concurrency=SETUP.concurrency,
            client_rate_limit=client_rate,
            run_result=str(scratch / state / "clarify_run_results.json"),
        )
        env = clarify_env(project, target, key)
        first = counted_sync(project, request, env, "first")
        noop = counted_sync(project, request, env, "no-op")
    expected = people + companies_of(people)
    if first.created != expected or noop.rows_read:
        raise SystemExit(
            f"{state}: the first sync created {first.created} of {expected} records and the"
            f" re-run read {noop.rows_read} rows (expected 0)"
        )
    return [first, noop]


def count_syncs(people: int, paced_rate: int | None) -> dict[str, list[CountedSync]]:
    """The paced and the lifted syncs side by side (callgrind's counts do not mind sharing), or
    the lifted one alone when ``paced_rate`` is None."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    rates = {"lifted": LIFTED_CLIENT_RATE}
    if paced_rate is not None:
        rates = {"paced": paced_rate, **rates}
    with tempfile.TemporaryDirectory(prefix="dbt-clarify-paced-cost-") as scratch_dir:
        scratch = Path(scratch_dir)
        with ThreadPoolExecutor(max_workers=len(rates)) as pool:
            counting = {
                mode: pool.submit(count_first_and_noop, scratch, people, rate, mode)
                for mode, rate in rates.items()
            }
            return {mode: future.result() for mode, future in counting.items()}


def instruction_table(runs: dict[str, list[CountedSync]], people: int, paced_rate: int) -> Table:
    table = Table(title=f"Instructions of a first sync of {people:,} people (callgrind)")
    for column in ("client", "requests", "first sync", "no-op re-run", "first less no-op, per row"):
        table.add_column(column, justify="left" if column == "client" else "right")
    for mode, (first, noop) in runs.items():
        per_row = (first.instructions - noop.instructions) / first.rows_read
        table.add_row(
            f"paced, {paced_rate}/min" if mode == "paced" else "lifted",
            f"{first.requests:,}",
            f"{first.instructions / 1e9:.2f} G",
            f"{noop.instructions / 1e9:.2f} G",
            f"{per_row / 1e3:,.0f} k",
        )
    return table


def work(documents: int) -> int:
    """A request's worth of Python, more or less: dicts built, then encoded as JSON."""
    encoded = [
        json.dumps({"email": f"person{i}@example.com", "name": {"first": "A", "last": str(i)}})
        for i in range(documents)
    ]
    return sum(map(len, encoded))


def cpu_ms_per_burst(documents: int, sleep_s: float, bursts: int) -> float:
    started = time.process_time()
    for _ in range(bursts):
        work(documents)
        if sleep_s:
            time.sleep(sleep_s)
    return (time.process_time() - started) / bursts * 1e3


def time_bursts(rounds: int) -> dict[int, dict[float, list[float]]]:
    """CPU ms per burst, per burst size and sleep after each, the sleeps alternating."""
    timings: dict[int, dict[float, list[float]]] = {
        documents: {sleep_s: [] for sleep_s in SLEEPS_S} for documents, _ in BURSTS
    }
    for documents, bursts in BURSTS:
        for _ in range(rounds):
            for sleep_s in SLEEPS_S:
                timings[documents][sleep_s].append(cpu_ms_per_burst(documents, sleep_s, bursts))
    return timings


def burst_table(timings: dict[int, dict[float, list[float]]]) -> Table:
    table = Table(title="CPU time of the same work, with and without sleeps between bursts")
    for column in ("work per burst", "sleep after each", "CPU ms per burst", "vs back to back"):
        table.add_column(column, justify="right")
    for documents, by_sleep in timings.items():
        back_to_back = min(by_sleep[0.0])
        for sleep_s, measured in by_sleep.items():
            best = min(measured)
            table.add_row(
                f"{documents} documents",
                f"{sleep_s * 1e3:.0f} ms",
                f"{best:.3f} (worst {max(measured):.3f})",
                f"{best / back_to_back - 1:+.0%}" if sleep_s else "",
            )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument(
        "--paced-rate",
        type=int,
        default=60,
        help="requests a minute for the paced sync under callgrind (default 60)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the burst timings")
    parser.add_argument("--skip-instructions", action="store_true")
    parser.add_argument(
        "--lifted-only",
        action="store_true",
        help="count the lifted sync alone (a paced sync of 1,000,000 would take hours here)",
    )
    args = parser.parse_args(argv)
    compile_package()
    started = datetime.now(timezone.utc)
    console = Console()
    runs: dict[str, list[CountedSync]] = {}
    if not args.skip_instructions:
        runs = count_syncs(args.people, None if args.lifted_only else args.paced_rate)
        console.print(instruction_table(runs, args.people, args.paced_rate))
    timings = time_bursts(args.rounds)
    console.print(burst_table(timings))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"paced_cost_{started:%Y%m%dT%H%M%SZ}_{commit()}.json"
    document = {
        "started_at": started.isoformat(),
        "people": args.people,
        "paced_rate": args.paced_rate,
        "instructions": {mode: [asdict(run) for run in pair] for mode, pair in runs.items()},
        "bursts_cpu_ms": {
            str(documents): {str(sleep_s): measured for sleep_s, measured in by_sleep.items()}
            for documents, by_sleep in timings.items()
        },
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"written to {path.relative_to(RESULTS.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
