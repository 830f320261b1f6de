"""How a sync looks in a terminal (rich progress and a summary table) or as JSON lines."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.progress import (
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from dbt_clarify.cli.console import stderr, stdout
from dbt_clarify.engine.result import ModelResult, RunResult

SHOWN_ISSUES = 10


class TextReporter:
    """A progress line per model with rows/s while it runs; a summary table at the end."""

    def __init__(self) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.completed:,.0f} rows"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=stderr,
            transient=False,
        )
        self._tasks: dict[str, tuple[TaskID, float]] = {}

    def __enter__(self) -> TextReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tasks:
            self._progress.stop()

    def model_started(self, model: str, object_name: str) -> None:
        if not self._tasks:  # start with the first model, so an early error prints nothing else
            self._progress.start()
        task = self._progress.add_task(f"{model} -> {object_name}", total=None, rate="")
        self._tasks[model] = (task, time.monotonic())

    def rows_done(self, model: str, rows: int) -> None:
        task, started = self._tasks[model]
        self._progress.advance(task, rows)
        done = self._progress.tasks[task].completed
        elapsed = max(time.monotonic() - started, 1e-6)
        self._progress.update(task, rate=f"{done / elapsed:,.0f} rows/s")

    def model_finished(self, result: ModelResult) -> None:
        task, _ = self._tasks[result.name]
        self._progress.update(task, completed=result.read)
        self._progress.stop_task(task)

    def warning(self, message: str) -> None:
        self._progress.console.print(f"[yellow]Warning:[/] {message}", markup=True)


class JsonReporter:
    """One JSON object per line on stdout, for log collectors."""

    def _emit(self, event: str, **fields: Any) -> None:
        stdout.out(json.dumps({"event": event, "ts": time.time(), **fields}), highlight=False)

    def __enter__(self) -> JsonReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def model_started(self, model: str, object_name: str) -> None:
        self._emit("model_started", model=model, object=object_name)

    def rows_done(self, model: str, rows: int) -> None:
        self._emit("rows_done", model=model, rows=rows)

    def model_finished(self, result: ModelResult) -> None:
        self._emit("model_finished", **result.model_dump(mode="json"))

    def warning(self, message: str) -> None:
        self._emit("warning", message=message)


def render_summary(result: RunResult) -> None:
    """The per-model table, then the first rejected rows of each model with their reasons."""
    table = Table(title=f"dbt-clarify sync ({result.elapsed_s:.1f} s)", title_justify="left")
    table.add_column("model")
    table.add_column("object")
    for name in ("read", "created", "updated", "unchanged", "rejected", "failed", "requests"):
        table.add_column(name, justify="right")
    table.add_column("time", justify="right")
    for m in result.models:
        table.add_row(
            m.name,
            m.object,
            *(f"{n:,}" for n in (m.read, m.created, m.updated, m.unchanged, m.rejected, m.failed)),
            f"{m.requests:,}",
            f"{m.elapsed_s:.1f} s",
        )
    stdout.print(table)
    for m in result.models:
        if m.unlinked:
            stdout.print(f"{m.name}: {m.unlinked} people synced without a company (no match).")
        for issue in m.issues[:SHOWN_ISSUES]:
            where = f" [{issue.field}]" if issue.field else ""
            stdout.print(
                f"{m.name}: {issue.status} {issue.key}{where}: {issue.reason}", markup=False
            )
        hidden = m.rejected + m.failed - min(len(m.issues), SHOWN_ISSUES)
        if hidden > 0:
            stdout.print(f"{m.name}: ... and {hidden} more (see the run result file)")
