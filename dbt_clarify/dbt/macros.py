"""Render dbt_clarify macros through dbt's dispatch, with or without a live connection.

The package's macros only build SQL text (``return(...)``), so rendering needs the parsed
manifest and the profile's registered adapter, never the warehouse itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbt_clarify.dbt.runner import one_line
from dbt_clarify.errors import ConfigError


class MacroRenderer:
    """Renders one package's macros, building each macro's dbt context and Jinja module once.

    dbt's ``adapter.execute_macro`` builds a fresh context, a generator for every macro of the
    manifest, and a Jinja module from it, on each call: about 15 ms, which a sync would pay for
    every ledger write. This does what ``execute_macro`` does once per macro, then calls the
    same Jinja macro again, as a template that calls a macro twice does.
    """

    def __init__(self, adapter: Any, manifest: Any, package: str) -> None:
        self._adapter = adapter
        self._manifest = manifest
        self._package = package
        self._macros: dict[str, Callable[..., Any]] = {}

    def render(self, macro: str, kwargs: dict[str, Any]) -> str | list[str]:
        """The SQL that the package's (dispatched) ``macro`` returns for these arguments."""
        try:
            function = self._macros.get(macro) or self._load(macro)
            with self._adapter.connections.exception_handler(f"macro {macro}"):
                rendered = function(**kwargs)
        except ConfigError:
            raise
        except Exception as error:
            raise ConfigError(
                f"{self._package}.{macro} failed to render: {one_line(error)}",
                hint=f"check any project macro that overrides {macro} for this adapter",
            ) from error
        if isinstance(rendered, str):
            return rendered.strip()
        return [str(statement).strip() for statement in rendered]

    def _load(self, name: str) -> Callable[..., Any]:
        from dbt_common.clients.jinja import CallableMacroGenerator
        from dbt_common.exceptions.macros import MacroReturn

        adapter, manifest = self._adapter, self._manifest
        macro = manifest.find_macro_by_name(name, adapter.config.project_name, self._package)
        if macro is None:
            raise ConfigError(
                f"the dbt package {self._package} has no macro {name}",
                hint=(
                    f"add the {self._package} package to packages.yml, run `dbt deps`, "
                    "and keep it at the version of the dbt-clarify Python package"
                ),
            )
        context = adapter._macro_context_generator(macro, adapter.config, manifest, self._package)
        jinja_macro = CallableMacroGenerator(macro, context).get_macro()

        def call(**kwargs: Any) -> Any:
            try:
                return jinja_macro(**kwargs)
            except MacroReturn as returned:  # the macro's `return(...)`
                return returned.value

        self._macros[name] = call
        return call
