"""What every sync pays before its first row: dbt's import, the project's parse and selection.

Start-up does not grow with the model: it is a third of a lifted first sync of 100,000 people
and nearly all of a re-run with nothing changed. A change to it moves a sync by a tenth of a
second or two, less than a whole sync's spread from run to run on a shared machine, so this
measures it alone: integration_tests' load models in a scratch DuckDB file, then ``--runs``
fresh child processes (``startup_process.py``) that load the project, partial parsing warm, and
select the load models, as a sync starts. CPU (user + system) and peak RSS come from
``os.wait4``: the interpreter's start and every import are included.

With ``--against REV`` a checkout of REV (a temporary git worktree) runs too, turn about with
this one, on the same project, dbt package and warm caches: the two differ by their Python code
alone, and the machine's drift falls on both.

    python benchmarks/startup.py --runs 10
    python benchmarks/startup.py --runs 10 --against HEAD~1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table
from whole_sync import (
    REPO_ROOT,
    RESULTS,
    SELECT,
    ChildUsage,
    ScratchProject,
    commit,
    compile_package,
    load_vars,
    run_measured,
)

STARTUP_PROCESS = Path(__file__).with_name("startup_process.py")


@dataclass(frozen=True)
class Checkout:
    """Where a commit's dbt_clarify package is imported from."""

    commit: str
    root: Path


@dataclass(frozen=True)
class Figures:
    """One checkout's runs: CPU seconds of each, the median wall time and peak RSS."""

    commit: str
    cpu_s: list[float]
    median_wall_s: float
    median_peak_rss_mb: float

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(self.cpu_s)


def git(*args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


@contextmanager
def checkout_of(revision: str) -> Iterator[Checkout]:
    """A temporary worktree of ``revision``, its package compiled as an installed one is."""
    with tempfile.TemporaryDirectory(prefix="dbt-clarify-startup-") as scratch:
        tree = Path(scratch) / "checkout"
        git("worktree", "add", "--detach", str(tree), revision)
        try:
            compile_package(tree)
            yield Checkout(git("rev-parse", "--short", revision), tree)
        finally:
            git("worktree", "remove", "--force", str(tree))


def start(project: ScratchProject, checkout: Checkout, people: int) -> ChildUsage:
    child = run_measured(
        [sys.executable, str(STARTUP_PROCESS), str(project.dir), SELECT, load_vars(people)],
        cwd=project.dir,
        env={**project.env, "PYTHONPATH": str(checkout.root)},
    )
    if child.exit_code != 0:
        raise SystemExit(f"{checkout.commit}: start-up failed:\n{child.stderr[-4000:]}")
    return child


def measure(checkouts: list[Checkout], people: int, runs: int) -> list[Figures]:
    """Each checkout ``runs`` times, turn about, after one run each that warms the caches."""
    with tempfile.TemporaryDirectory(prefix="dbt-clarify-startup-") as scratch_dir:
        scratch = Path(scratch_dir)
        project = ScratchProject(scratch)
        project.env["DBT_CLARIFY_CACHE_DIR"] = str(scratch / "cache")
        project.use_database(scratch / "load.duckdb")
        project.build(people)
        for checkout in checkouts:
            start(project, checkout, people)
        usages: dict[str, list[ChildUsage]] = {c.commit: [] for c in checkouts}
        for turn in range(runs):
            # Alternate which goes first, so that neither always follows the other.
            for checkout in checkouts if turn % 2 == 0 else checkouts[::-1]:
                usages[checkout.commit].append(start(project, checkout, people))
    return [
        Figures(
            commit=name,
            cpu_s=[u.cpu_s for u in runs_of],
            median_wall_s=statistics.median(u.wall_s for u in runs_of),
            median_peak_rss_mb=statistics.median(u.peak_rss_mb for u in runs_of),
        )
        for name, runs_of in usages.items()
    ]


def print_table(figures: list[Figures], people: int) -> None:
    table = Table(
        title=f"Start-up: dbt's import, parse (partial) and selection, {people:,} people",
        title_justify="left",
    )
    for header in ("commit", "runs", "CPU s min", "median", "max", "wall s", "peak RSS MB"):
        table.add_column(header, justify="right")
    for f in figures:
        table.add_row(
            f.commit,
            str(len(f.cpu_s)),
            f"{min(f.cpu_s):.2f}",
            f"{f.median_cpu_s:.2f}",
            f"{max(f.cpu_s):.2f}",
            f"{f.median_wall_s:.2f}",
            f"{f.median_peak_rss_mb:.0f}",
        )
    if len(figures) == 2:
        now, then = figures
        change = now.median_cpu_s - then.median_cpu_s
        table.caption = (
            f"{now.commit} against {then.commit}: median CPU {change:+.2f} s"
            f" ({change / then.median_cpu_s:+.1%})"
        )
        table.caption_justify = "left"
    Console(width=200).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each checkout (default 10)")
    parser.add_argument("--people", type=int, default=20_000, help="people in the load model")
    parser.add_argument("--against", metavar="REV", help="a commit to compare this checkout with")
    args = parser.parse_args(argv)
    compile_package()
    started = datetime.now(timezone.utc)
    edited = git("status", "--porcelain", "--untracked-files=no")
    this = Checkout(commit() + ("+edits" if edited else ""), REPO_ROOT)
    if args.against:
        with checkout_of(args.against) as other:
            if other.commit == this.commit:
                raise SystemExit(f"--against {args.against} is this checkout's own commit")
            figures = measure([this, other], args.people, args.runs)
    else:
        figures = measure([this], args.people, args.runs)
    print_table(figures, args.people)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"startup_{started:%Y%m%dT%H%M%SZ}_{this.commit}.json"
    document = {
        "started_at": started.isoformat(),
        "people": args.people,
        "checkouts": [{**asdict(f), "median_cpu_s": f.median_cpu_s} for f in figures],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"written to {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
