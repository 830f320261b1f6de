"""Options shared by several commands, spelled the way dbt spells them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_debug = {"on": False}


def debug_enabled() -> bool:
    """Whether ``--debug`` was given: the error handler then prints tracebacks."""
    return _debug["on"]


def _set_debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    _debug["on"] = _debug["on"] or value
    return value


def split_selection(values: tuple[str, ...]) -> tuple[str, ...]:
    """dbt takes ``--select "a b"`` and repeated flags alike; flatten both into one list."""
    return tuple(part for value in values for part in value.split())


def debug_option(func: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show tracebacks and debug logs (never the API key).",
    )(func)


def project_options(func: F) -> F:
    """--project-dir, --profiles-dir, --target, --vars: read the way dbt reads them."""
    decorators = [
        click.option(
            "--project-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("."),
            envvar="DBT_PROJECT_DIR",
            show_default=True,
            help="The dbt project's directory.",
        ),
        click.option(
            "--profiles-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Directory of profiles.yml (default: DBT_PROFILES_DIR, the project, ~/.dbt).",
        ),
        click.option("--target", "-t", default=None, help="The profile target to use."),
        click.option("--vars", default=None, help="YAML string of variables, as dbt's --vars."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def selection_options(func: F) -> F:
    """--select/-s, --exclude, --selector: dbt's own selection grammar."""
    decorators = [
        click.option(
            "--select",
            "-s",
            multiple=True,
            help="dbt selection (repeat or quote several); default tag:clarify.",
        ),
        click.option("--exclude", multiple=True, help="dbt exclusion (repeat or quote several)."),
        click.option("--selector", default=None, help="A selector from selectors.yml."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func
