"""Render a dbt_clarify macro through dbt's dispatch, with or without a live connection.

The package's macros only build SQL text (``return(...)``), so rendering needs the parsed
manifest and the profile's registered adapter, never the warehouse itself.
"""

from __future__ import annotations

from typing import Any

from dbt_clarify.dbt.runner import one_line
from dbt_clarify.errors import ConfigError


def render_macro(
    adapter: Any, manifest: Any, package: str, macro: str, kwargs: dict[str, Any]
) -> str | list[str]:
    """The SQL that ``package``'s (dispatched) ``macro`` returns for these arguments."""
    try:
        rendered = adapter.execute_macro(
            macro, macro_resolver=manifest, project=package, kwargs=kwargs
        )
    except Exception as error:
        if "could not find a macro" in str(error):
            raise ConfigError(
                f"the dbt package {package} has no macro {macro}",
                hint=(
                    f"add the {package} package to packages.yml, run `dbt deps`, "
                    "and keep it at the version of the dbt-clarify Python package"
                ),
            ) from error
        raise ConfigError(
            f"{package}.{macro} failed to render: {one_line(error)}",
            hint=f"check any project macro that overrides {macro} for this adapter",
        ) from error
    if isinstance(rendered, str):
        return rendered.strip()
    return [str(statement).strip() for statement in rendered]
