"""``dbt-clarify plan`` (also ``sync --dry-run``): what a sync would do, sending no writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dbt_clarify.cli.options import debug_option
from dbt_clarify.cli.sync import build_sync_options, run_options

if TYPE_CHECKING:
    from dbt_clarify.engine.options import SyncOptions
    from dbt_clarify.engine.result import ModelPlan, PlanResult

DEFAULT_SAMPLES = 3
SHOWN_ISSUES = 5


@click.command()
@run_options
@click.option(
    "--samples",
    type=click.IntRange(0),
    default=DEFAULT_SAMPLES,
    show_default=True,
    help="Record bodies shown per model, as the bulk upsert would send them.",
)
@click.option(
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A table per model, or the plan as one JSON document.",
)
@click.option(
    "--plan-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the plan (default <target-path>/clarify_plan.json).",
)
@debug_option
def plan(samples: int, output: str, plan_file: Path | None, **options: Any) -> int:
    """Show what a sync would create, update, skip and reject, and the requests it would cost.

    Reads the warehouse and Clarify; writes neither, nor the sync state.
    """
    return show_plan(
        build_sync_options(**options), output=output, samples=samples, plan_path=plan_file
    )


def show_plan(
    options: SyncOptions,
    *,
    output: str,
    samples: int = DEFAULT_SAMPLES,
    plan_path: Path | None = None,
) -> int:
    """Make the plan and print it; 0 once it is made, whatever rows it would reject."""
    from dbt_clarify.cli.console import stdout
    from dbt_clarify.cli.render import TextReporter
    from dbt_clarify.engine.plan import plan_sync

    with TextReporter() as reporter:  # progress goes to stderr, so JSON on stdout stays clean
        result = plan_sync(options, reporter, samples=samples, plan_path=plan_path)
    if output == "json":
        stdout.out(json.dumps(result.model_dump(mode="json"), indent=2), highlight=False)
    else:
        render_plan(result)
    return 0


def render_plan(result: PlanResult) -> None:
    """A table per model (rows, then requests per endpoint), its rejections and samples."""
    from dbt_clarify.cli.console import stdout

    for model in result.models:
        stdout.print(_model_table(model, result.rate_limit_per_minute))
        if model.issue_counts:
            stdout.print("  rows to reject or fail, by field (or reason):")
        for kind, count in sorted(model.issue_counts.items(), key=lambda item: -item[1]):
            stdout.print(f"    {count:>6,}  {kind}", markup=False)
        for issue in model.issues[:SHOWN_ISSUES]:
            stdout.print(
                f"  {issue.status} {issue.key or '(empty key)'}: {issue.reason}", markup=False
            )
        for sample in model.samples:
            stdout.print(f"  sample: {json.dumps(sample, default=str)}", markup=False)
    total = sum(m.request_total for m in result.models)
    seconds = sum(m.seconds_at_rate_limit for m in result.models)
    stdout.print(
        f"A sync would send {total:,} requests, {seconds:,.2f} s at the rate limit. "
        f"Nothing was written (the plan read with {result.lookups:,} requests).",
        markup=False,
    )


def _model_table(model: ModelPlan, per_minute: int) -> Any:
    from rich.table import Table

    title = f"{model.name} -> {model.object}"
    if model.status == "skipped":
        title += f": skipped, {model.message}"
    elif model.match_on:
        title += f", matched on {model.match_on}"
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    if model.status == "skipped":
        return table
    counts = {
        "read": model.read,
        "create": model.create,
        "update": model.update,
        "create or update": model.create_or_update,
        "skip (unchanged)": model.skip,
        "reject": model.reject,
        "fail (company lookup)": model.fail,
        "delete": model.delete,
        "without a company": model.unlinked,
    }
    for name, count in counts.items():
        if count or name in ("read", "create", "update", "skip (unchanged)", "reject"):
            table.add_row(name, f"{count:,}")
    table.add_section()
    for endpoint in model.requests:
        table.add_row(endpoint.endpoint, f"{endpoint.requests:,}")
    table.add_row(
        f"time at {per_minute:,} requests/min per endpoint", f"{model.seconds_at_rate_limit:,.2f} s"
    )
    return table
