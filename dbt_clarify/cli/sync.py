"""``dbt-clarify sync``: the main job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from dbt_clarify.cli.options import (
    debug_option,
    project_options,
    selection_options,
    split_selection,
)
from dbt_clarify.cli.scope import state_schema_option
from dbt_clarify.engine.options import CHECKPOINT_ROWS, READ_BATCH_ROWS

if TYPE_CHECKING:
    from dbt_clarify.engine.options import SyncOptions

F = TypeVar("F", bound=Callable[..., Any])


def run_options(func: F) -> F:
    """The options of a sync that a plan takes too: what to sync, from where, how."""
    decorators = [
        selection_options,
        project_options,
        state_schema_option,
        click.option(
            "--full-refresh", is_flag=True, help="Resend every row, ignoring the watermark."
        ),
        click.option(
            "--batch-size", type=click.IntRange(1, 500), default=None, help="Records per request."
        ),
        click.option(
            "--concurrency", type=click.IntRange(1, 64), default=None, help="Requests in flight."
        ),
        click.option(
            "--read-batch-rows",
            type=click.IntRange(1),
            default=READ_BATCH_ROWS,
            show_default=True,
            help="Rows read from the warehouse at a time.",
        ),
        click.option(
            "--checkpoint-rows",
            type=click.IntRange(1),
            default=CHECKPOINT_ROWS,
            show_default=True,
            help="Rows sent between two saves of the sync state (whole read batches).",
        ),
        click.option(
            "--ignore-dbt-results",
            is_flag=True,
            help="Sync models even when their latest dbt build or tests failed.",
        ),
        click.option(
            "--manifest",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="A manifest.json to use instead of parsing the project (from a dbt Cloud job).",
        ),
        click.option(
            "--run-results",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="The run_results.json to skip failed models by (default target/ and the record).",
        ),
        click.option(
            "--dbt-cloud-run-id",
            type=click.IntRange(1),
            default=None,
            help="Take the manifest and run results of this dbt Cloud run (DBT_CLOUD_* settings).",
        ),
        click.option(
            "--dbt-cloud-job-id",
            type=click.IntRange(1),
            default=None,
            help="Take them from the latest finished run of this dbt Cloud job.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_sync_options(
    *,
    select: tuple[str, ...],
    exclude: tuple[str, ...],
    selector: str | None,
    project_dir: Path,
    profiles_dir: Path | None,
    target: str | None,
    vars: str | None,
    state_schema: str | None,
    full_refresh: bool,
    batch_size: int | None,
    concurrency: int | None,
    read_batch_rows: int,
    checkpoint_rows: int,
    ignore_dbt_results: bool,
    manifest: Path | None,
    run_results: Path | None,
    dbt_cloud_run_id: int | None,
    dbt_cloud_job_id: int | None,
    **extra: Any,
) -> SyncOptions:
    """SyncOptions from the values of ``run_options`` (and ``extra`` SyncOptions fields)."""
    from dbt_clarify.engine.options import SyncOptions
    from dbt_clarify.settings import ClarifySettings

    return SyncOptions(
        settings=ClarifySettings.from_env(),
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target=target,
        vars=vars,
        select=split_selection(select) or ("tag:clarify",),
        exclude=split_selection(exclude),
        selector=selector,
        state_schema=state_schema,
        full_refresh=full_refresh,
        batch_size=batch_size,
        concurrency=concurrency,
        read_batch_rows=read_batch_rows,
        checkpoint_rows=checkpoint_rows,
        ignore_dbt_results=ignore_dbt_results,
        manifest_path=manifest,
        run_results_path=run_results,
        dbt_cloud_run_id=dbt_cloud_run_id,
        dbt_cloud_job_id=dbt_cloud_job_id,
        **extra,
    )


@click.command()
@run_options
@click.option("--fail-fast", is_flag=True, help="Stop after the first model with rejected rows.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Progress as a terminal display or as JSON lines (with --dry-run: the plan as JSON).",
)
@click.option(
    "--run-result",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the run result (default <target-path>/clarify_run_results.json).",
)
@click.option(
    "--dry-run", is_flag=True, help="Send nothing: show the plan, as `dbt-clarify plan` does."
)
@debug_option
def sync(
    fail_fast: bool, log_format: str, run_result: Path | None, dry_run: bool, **options: Any
) -> int:
    """Upsert the rows of the selected sync models that changed since the last sync."""
    from dbt_clarify.cli.render import JsonReporter, TextReporter, render_summary
    from dbt_clarify.engine.runner import run_sync

    if dry_run:
        from dbt_clarify.cli.plan import show_plan

        return show_plan(build_sync_options(**options), output=log_format)
    sync_options = build_sync_options(**options, fail_fast=fail_fast, run_result_path=run_result)
    reporter = JsonReporter() if log_format == "json" else TextReporter()
    with reporter:
        result = run_sync(sync_options, reporter)
    if log_format == "text":
        render_summary(result)
    return int(result.exit_code)
