"""``dbt-clarify fields``: create the custom fields that mappings need and Clarify lacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dbt_clarify.cli.console import stdout
from dbt_clarify.cli.options import debug_option
from dbt_clarify.cli.scope import scope_options
from dbt_clarify.cli.validate import print_problems
from dbt_clarify.errors import ExitCode

if TYPE_CHECKING:
    from dbt_clarify.engine.scope import ModelScope


@click.command()
@scope_options()
@click.option("--dry-run", is_flag=True, help="Show the fields that would be created; create none.")
@click.option(
    "--wait",
    "wait_s",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for Clarify to show the new fields.",
)
@debug_option
def fields(scope: ModelScope, dry_run: bool, wait_s: float) -> int:
    """Create the custom fields mappings need and Clarify lacks."""
    from dbt_clarify.engine.custom_fields import create_missing_fields
    from dbt_clarify.settings import ClarifySettings

    plan = create_missing_fields(scope, ClarifySettings.from_env(), dry_run=dry_run, wait_s=wait_s)
    if plan.problems:
        print_problems(plan.problems)
        stdout.print("No field was created.")
        return ExitCode.CONFIG
    if not plan.fields:
        stdout.print("Clarify has every field the selected sync models map to: nothing to create.")
        return ExitCode.SUCCESS
    if plan.created:
        stdout.print(f"Created {len(plan.fields)} field(s); Clarify shows them now:")
    else:
        stdout.print(f"Would create {len(plan.fields)} field(s) (dry run):")
    for field in plan.fields:
        stdout.print(
            f"  {field.object}.{field.name}: {field.kind}, for {', '.join(field.columns)} "
            f"(typed from {field.typed_from})",
            markup=False,
        )
    return ExitCode.SUCCESS
