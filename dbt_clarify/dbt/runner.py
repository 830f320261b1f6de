"""Every call into dbt's command runner goes through here.

dbt's programmatic runner is not thread-safe and resets the registered adapters on each call, so
calls are serialised by one lock. Console logging is switched off (dbt-clarify renders its own
output) while dbt's log file keeps its default level. dbt-clarify only reads the project, so
dbt runs with ``--no-write-json``: ``target/manifest.json`` stays as the user's own dbt
commands left it (a sync's ``--vars`` would otherwise overwrite it), and a sync does not pay
for writing it. dbt still writes its partial-parsing cache and ``graph_summary.json``. The JSON
schemas dbt validates the project and profile against, and the code of the Jinja templates it
compiles, come from dbt-clarify's cache (``schema_cache``, ``template_cache``), and dbt's
dataclasses get their serializers on first use (``lazy_serializers``). A failed
invocation becomes a ConfigError carrying dbt's own message on one line.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from typing import Any

from dbt_clarify.dbt import template_cache
from dbt_clarify.dbt.lazy_serializers import lazy_serializers
from dbt_clarify.dbt.schema_cache import stored_json_schemas
from dbt_clarify.errors import ConfigError

_INVOKE_LOCK = threading.Lock()
_SNIPPET_LINE = re.compile(r"^(-{3,}|\d+\s*\|.*)$")
_HEADING = re.compile(r"^(Runtime|Parsing|Compilation|Database|Dependency|Internal) Error\s+")


def one_line(error: BaseException | None) -> str:
    """dbt's multi-line error text (headings, code excerpts) reduced to one readable line."""
    if error is None:
        return "dbt reported a failure without an error message"
    lines = (line.strip() for line in str(error).splitlines())
    kept = [line for line in lines if line and not _SNIPPET_LINE.match(line)]
    text = " ".join(" ".join(kept).split())
    return _HEADING.sub("", text) or type(error).__name__


def quiet_flags() -> list[str]:
    """Flags that silence dbt's console output but leave its log file as dbt would write it."""
    flags = ["--log-level", "none"]
    if "DBT_LOG_LEVEL_FILE" not in os.environ:
        # Without an explicit file level, dbt applies --log-level to the file too.
        flags += ["--log-level-file", "debug"]
    return flags


def invoke(args: Sequence[str], *, manifest: Any = None, failure: str, hint: str) -> Any:
    """Run one dbt command in-process and return its result; raise ConfigError on failure.

    ``failure`` is the message's start ("dbt could not parse ..."), dbt's reason follows it.
    """
    with _INVOKE_LOCK, lazy_serializers(), stored_json_schemas():
        from dbt.cli.main import dbtRunner

        template_cache.install()
        outcome = dbtRunner(manifest=manifest).invoke([*args, "--no-write-json", *quiet_flags()])
    if isinstance(outcome.exception, KeyboardInterrupt):
        raise outcome.exception
    if not outcome.success:
        raise ConfigError(f"{failure}: {one_line(outcome.exception)}", hint=hint)
    return outcome.result
