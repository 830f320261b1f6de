"""``dbt-clarify status``: per sync model, the watermark, the last run and the refused rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dbt_clarify.cli.console import stdout
from dbt_clarify.cli.options import debug_option
from dbt_clarify.cli.scope import scope_options

if TYPE_CHECKING:
    from dbt_clarify.engine.scope import ModelScope
    from dbt_clarify.engine.status import ModelStatus, StatusReport

SHOWN_ISSUES = 10


@click.command()
@scope_options(state=True)
@click.option(
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Lines for people, or one JSON document listing every refused row.",
)
@debug_option
def status(scope: ModelScope, output: str) -> None:
    """Show each sync model's watermark, last run and refused rows.

    Read from the state in the warehouse; no API key needed.
    """
    from dbt_clarify.engine.status import read_status

    report = read_status(scope)
    if output == "json":
        stdout.out(report.model_dump_json(indent=2), highlight=False)
    else:
        _render(report)


def _render(report: StatusReport) -> None:
    stdout.print(f"Sync state in schema {report.state_schema} (target {report.target})")
    if not report.models:
        stdout.print("The selection holds no model tagged 'clarify'.")
    for model in report.models:
        stdout.print("")
        for line in _model_lines(model):
            stdout.print(line, markup=False)


def _model_lines(model: ModelStatus) -> list[str]:
    lines = [f"{model.model} -> {model.object}"]
    mark = model.watermark
    if mark is None:
        lines.append("  watermark: none (the next sync reads every row)")
    else:
        lines.append(f"  watermark: cursor {mark.cursor or '-'}, key {mark.key}")
        if mark.block_changed:
            lines.append("  the block changed since: the next sync resends every row")
    run = model.last_run
    if run is None:
        lines.append("  last run: never synced")
    else:
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(
            f"  last run: {started}, {run.status}: read {run.rows_read}, created {run.created}, "
            f"updated {run.updated}, unchanged {run.unchanged}, rejected {run.rejected}, "
            f"failed {run.failed}, {run.requests} requests"
        )
    lines.append(f"  rows on record: {model.rejected} rejected, {model.failed} failed")
    for issue in model.issues[:SHOWN_ISSUES]:
        where = f" [{issue.field}]" if issue.field else ""
        lines.append(f"    {issue.status} {issue.key or '(empty key)'}{where}: {issue.reason}")
    hidden = len(model.issues) - SHOWN_ISSUES
    if hidden > 0:
        lines.append(f"    ... and {hidden} more (--output json lists every one)")
    return lines
