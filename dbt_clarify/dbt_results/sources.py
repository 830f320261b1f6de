"""Which dbt results a sync judges its models by: one rule, in one place.

- ``run_results_path`` given (``--run-results``, or fetched from dbt Cloud): that file alone;
- otherwise both ``run_results.json`` in dbt's target path, when there is one, and what the
  on-run-end hook recorded in the state schema; each model is then judged by the later of the
  two invocations that built or tested it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dbt_clarify.dbt import Warehouse
from dbt_clarify.dbt_results.model import DbtResults
from dbt_clarify.dbt_results.recorded import read_recorded_results
from dbt_clarify.dbt_results.run_results_file import RUN_RESULTS_FILE, read_run_results


def dbt_results_for_sync(
    warehouse: Warehouse,
    state_schema: str,
    model_ids: Sequence[str],
    *,
    run_results_path: Path | None,
    target_path: Path,
    read_only: bool = False,
) -> DbtResults:
    """The results to gate ``model_ids`` on; ConfigError if ``run_results_path`` is unreadable.

    ``read_only`` leaves the warehouse as it is (a plan): a missing results table reads as empty.
    """
    if run_results_path is not None:
        return read_run_results(run_results_path)
    local = target_path / RUN_RESULTS_FILE
    found = read_run_results(local) if local.is_file() else DbtResults()
    return found + read_recorded_results(warehouse, state_schema, model_ids, read_only=read_only)
