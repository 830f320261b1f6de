"""What dbt's latest invocations said about the sync models, so that sync can skip failed ones.

Two sources: ``run_results.json`` of an invocation (on the runner's own disk, or fetched from
dbt Cloud), and the rows the package's on-run-end hook recorded in the state schema, for syncs
that run where dbt's target/ is not.
"""

from dbt_clarify.dbt_results.model import DbtResults, Invocation, NodeResult
from dbt_clarify.dbt_results.recorded import read_recorded_results
from dbt_clarify.dbt_results.run_results_file import RUN_RESULTS_FILE, read_run_results
from dbt_clarify.dbt_results.sources import dbt_results_for_sync

__all__ = [
    "RUN_RESULTS_FILE",
    "DbtResults",
    "Invocation",
    "NodeResult",
    "dbt_results_for_sync",
    "read_recorded_results",
    "read_run_results",
]
