"""Terminal output shared by every command: where messages go and how errors look.

Progress and messages go to stderr, results (tables, JSON) to stdout, so that
``dbt-clarify status --output json | jq`` works.
"""

from __future__ import annotations

from rich.console import Console

from dbt_clarify.errors import DbtClarifyError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(error: DbtClarifyError) -> None:
    """One red line saying what is wrong, then the hint on its own line."""
    stderr.print(f"[bold red]Error:[/] {error.message}", markup=True, emoji=False)
    if error.hint:
        stderr.print(f"[dim]hint:[/] {error.hint}", markup=True, emoji=False)
