"""``run_results.json`` read as plain JSON, leniently: dbt adds fields in patch releases.

Only invocations that build or test say anything about the data: ``dbt compile``, ``dbt docs
generate`` or ``dbt show`` also write the file, with every node a ``success``, and reading those
would hide the failures of the build before them. Such a file yields no results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dbt_clarify.dbt_results.model import DbtResults, Invocation, NodeResult
from dbt_clarify.errors import ConfigError

RUN_RESULTS_FILE = "run_results.json"
BUILDING_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "retry"})
"""``args.which`` of the invocations whose results are verdicts on the data."""


def read_run_results(path: Path) -> DbtResults:
    """The model and test results in one ``run_results.json``; ConfigError if unreadable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"no dbt run results at {path}",
            hint="pass the run_results.json that the dbt build of these models wrote",
        ) from None
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"cannot read the dbt run results {path}: {error}",
            hint="pass a run_results.json written by dbt, or --ignore-dbt-results",
        ) from None
    if not isinstance(document, Mapping):
        raise ConfigError(
            f"{path} is not a dbt run_results.json (not a JSON object)",
            hint="pass a run_results.json written by dbt, or --ignore-dbt-results",
        )
    return parse_run_results(document, source=str(path))


def parse_run_results(document: Mapping[str, Any], *, source: str) -> DbtResults:
    """The results of a parsed ``run_results.json``; entries without an id or status are skipped."""
    args = _mapping(document.get("args"))
    if args.get("which") not in (None, *BUILDING_COMMANDS):
        return DbtResults()
    metadata = _mapping(document.get("metadata"))
    invocation = Invocation(
        invocation_id=_text(metadata.get("invocation_id")),
        started_at=parse_timestamp(
            metadata.get("invocation_started_at") or metadata.get("generated_at")
        ),
        source=source,
    )
    results = []
    for entry in document.get("results") or ():
        entry = _mapping(entry)
        node_id, status = _text(entry.get("unique_id")), _text(entry.get("status"))
        if node_id and status:
            results.append(
                NodeResult(
                    node_id=node_id,
                    status=status,
                    invocation=invocation,
                    message=_text(entry.get("message")),
                )
            )
    return DbtResults.of(results)


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as aware UTC (naive means UTC, as dbt writes them); else None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            # Python 3.10 does not read a trailing Z.
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
