"""``dbt-clarify validate``: check every sync model's block; write nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from dbt_clarify.cli.console import stderr, stdout
from dbt_clarify.cli.options import debug_option
from dbt_clarify.cli.scope import scope_options
from dbt_clarify.errors import ExitCode

if TYPE_CHECKING:
    from dbt_clarify.engine.scope import ModelScope
    from dbt_clarify.engine.validation import Problem


@click.command()
@scope_options()
@debug_option
def validate(scope: ModelScope) -> int:
    """Check sync blocks against columns and Clarify; write nothing."""
    from dbt_clarify.engine.validation import validate as validate_models
    from dbt_clarify.settings import ClarifySettings

    report = validate_models(scope, ClarifySettings.from_env())
    if not report.models:
        stderr.print("[yellow]Warning:[/] the selection holds no model tagged 'clarify'")
        return ExitCode.SUCCESS
    for check in report.models:
        source = f"columns from {check.columns_source}" if check.columns_source else "no columns"
        verdict = f"{len(check.problems)} problem(s)" if check.problems else "ok"
        stdout.print(f"{check.model} -> {check.object}: {verdict} ({source})", markup=False)
    print_problems(report.problems)
    if report.problems:
        failed = sum(1 for m in report.models if m.problems)
        stderr.print(
            f"{len(report.problems)} problem(s) in {failed} of {len(report.models)} "
            "sync model(s); nothing was written.",
            markup=False,
        )
        return ExitCode.CONFIG
    stdout.print(f"All {len(report.models)} sync model(s) fit their columns and Clarify's schema.")
    return ExitCode.SUCCESS


def print_problems(problems: Sequence[Problem]) -> None:
    """One error line per problem, each with its hint below, as the CLI prints any error."""
    for problem in problems:
        stderr.print(f"[bold red]Error:[/] {escape(problem.message)}", markup=True, emoji=False)
        if problem.hint:
            stderr.print(f"  [dim]hint:[/] {escape(problem.hint)}", markup=True, emoji=False)
