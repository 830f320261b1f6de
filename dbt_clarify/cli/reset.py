"""``dbt-clarify reset``: forget the sync state of chosen models, after confirmation."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from dbt_clarify.cli.console import stdout
from dbt_clarify.cli.options import debug_option
from dbt_clarify.cli.scope import scope_options
from dbt_clarify.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from dbt_clarify.engine.scope import ModelScope


@click.command()
@scope_options(state=True, require_selection=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@debug_option
def reset(scope: ModelScope, yes: bool) -> int:
    """Forget sync state: the next sync resends every row.

    Name the models with --select or --selector; it asks before it forgets, unless --yes.
    """
    if not yes and not sys.stdin.isatty():
        raise ConfigError(
            "reset asks for confirmation, and there is no terminal to ask on",
            hint="pass --yes to forget the state of the selected models without asking",
        )
    from dbt_clarify.engine.reset import reset_state

    def confirm(models: Sequence[str]) -> bool:
        return yes or click.confirm(
            f"Forget the sync state of {', '.join(models)}? Their next sync resends every row",
            default=False,
            abort=True,
        )

    forgotten = reset_state(scope, confirm)
    for model in forgotten or ():
        had = "its watermark" if model.had_watermark else "no watermark"
        stdout.print(
            f"Forgot the state of {model.model}: {had}, {model.issues} rejected or failed "
            "row(s) on record. Its next sync resends every row.",
            markup=False,
        )
    return ExitCode.SUCCESS
