"""The options that say which project and sync models a command works on, as one ModelScope.

``validate``, ``status``, ``reset`` and ``fields`` take dbt's project and selection flags as
``sync`` does, and hand the command a ``scope`` instead of eight loose values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from dbt_clarify.cli.options import project_options, selection_options, split_selection

F = TypeVar("F", bound=Callable[..., Any])


def state_schema_option(func: F) -> F:
    return click.option(
        "--state-schema", default=None, help="Schema holding sync state (default <schema>_clarify)."
    )(func)


def scope_options(*, state: bool = False, require_selection: bool = False) -> Callable[[F], F]:
    """Add the project and selection flags (and ``--state-schema`` with ``state``), and pass
    the command ``scope``. Without --select or --selector the scope is every model tagged
    clarify, unless ``require_selection``, for commands that must not act on all of them."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(
            *,
            select: tuple[str, ...],
            exclude: tuple[str, ...],
            selector: str | None,
            project_dir: Path,
            profiles_dir: Path | None,
            target: str | None,
            vars: str | None,
            state_schema: str | None = None,
            **options: Any,
        ) -> Any:
            from dbt_clarify.engine.scope import DEFAULT_SELECTION, ModelScope

            chosen = split_selection(select)
            if require_selection and not chosen and not selector:
                raise click.UsageError("name the models to act on with --select or --selector")
            scope = ModelScope(
                project_dir=project_dir,
                profiles_dir=profiles_dir,
                target=target,
                vars=vars,
                select=chosen or (() if selector else DEFAULT_SELECTION),
                exclude=split_selection(exclude),
                selector=selector,
                state_schema=state_schema,
            )
            return func(scope=scope, **options)

        inner = state_schema_option(command) if state else command
        return cast(F, selection_options(project_options(inner)))

    return decorate
