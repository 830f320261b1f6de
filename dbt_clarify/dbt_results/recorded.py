"""The dbt results that the package's on-run-end hook recorded in the state schema.

A sync that runs away from dbt's disk (after a dbt Cloud job, in another container) has no
``run_results.json``; the hook ``dbt_clarify.record_dbt_results(results)`` left the outcome of
each invocation that built or tested a sync model in ``clarify_dbt_results`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbt_clarify.dbt import Warehouse
from dbt_clarify.dbt_results.model import DbtResults, Invocation, NodeResult
from dbt_clarify.dbt_results.run_results_file import parse_timestamp
from dbt_clarify.errors import ConfigError

TABLE = "clarify_dbt_results"
IDS_PER_STATEMENT = 500


def read_recorded_results(
    warehouse: Warehouse, schema: str, model_ids: Sequence[str], *, read_only: bool = False
) -> DbtResults:
    """For each model, the results of the latest recorded invocation that built or tested it.

    Creates the table when missing (as the hook would), so a project without the hook reads
    nothing rather than failing; ``read_only`` reads nothing from a missing table instead.
    """
    if not model_ids:
        return DbtResults()
    if read_only:
        if not warehouse.has_table(schema, TABLE):
            return DbtResults()
    else:
        warehouse.execute(warehouse.render("dbt_results_ddl", schema=schema))
    source = f"recorded in {schema}.{TABLE}"
    invocations: dict[tuple[str, object], Invocation] = {}
    results = []
    unique_ids = list(dict.fromkeys(model_ids))
    for start in range(0, len(unique_ids), IDS_PER_STATEMENT):
        chunk = unique_ids[start : start + IDS_PER_STATEMENT]
        sql = warehouse.render("select_dbt_results", schema=schema, model_ids=chunk)
        if not isinstance(sql, str):
            raise ConfigError(
                "select_dbt_results returned several statements instead of one query",
                hint="check any macro of the project that overrides select_dbt_results",
            )
        rows = warehouse.query(sql)
        for model_id, node_id, status, message, invocation_id, started_at in rows:
            key = (invocation_id, started_at)
            invocation = invocations.setdefault(
                key, Invocation(invocation_id, parse_timestamp(started_at), source)
            )
            results.append(
                NodeResult(
                    node_id=node_id,
                    status=status,
                    invocation=invocation,
                    message=message,
                    model_ids=(model_id,),
                )
            )
    return DbtResults.of(results)
