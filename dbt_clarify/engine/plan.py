"""``plan``: what a sync would do, per model, from the very engine the sync runs, writing nothing.

The same checks, the same rows read (watermark, ledger, content hashes), the same record
building, rejections and company links as ``run_sync``: only the writes differ. Clarify writes
go to ``PlannedWrites``, which counts them; the state store reads the watermark and the ledger
but keeps nothing, and a warehouse that holds no state yet reads as "every row is new". The plan
is written to ``clarify_plan.json``, never to the run result a later sync reads.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from dbt_clarify import __version__
from dbt_clarify.clarify.ratelimit import EndpointPacer
from dbt_clarify.dbt import Warehouse
from dbt_clarify.engine.options import SyncOptions
from dbt_clarify.engine.planned_writes import Endpoint, PlannedWrites, endpoint_path
from dbt_clarify.engine.progress import Reporter, SilentReporter
from dbt_clarify.engine.result import EndpointRequests, ModelPlan, ModelResult, PlanResult
from dbt_clarify.engine.runner import CheckedRun, ModelSync, SyncModel, run_checked
from dbt_clarify.state import LedgerEntry, RunRecord, StateStore, Watermark

PLAN_FILE = "clarify_plan.json"
DEFAULT_SAMPLES = 3
STATE_TABLES = ("clarify_sync_state", "clarify_sync_rows")
"""The state tables a sync reads before it writes; the plan reads them when both exist."""


def plan_sync(
    options: SyncOptions,
    reporter: Reporter | None = None,
    *,
    samples: int = DEFAULT_SAMPLES,
    plan_path: Path | None = None,
) -> PlanResult:
    """Plan a sync of ``options`` and return the plan; ``<target path>/clarify_plan.json``
    (or ``plan_path``) gets it too."""
    return asyncio.run(_plan(options, reporter or SilentReporter(), samples, plan_path))


class StateSnapshot(StateStore):
    """The sync state as it stands, read and never written: a plan changes nothing.

    Creates no schema or table. Without state tables there is nothing to read: the plan then
    runs as a full refresh, every row new, and no record is an orphan.
    """

    def __init__(self, warehouse: Warehouse, schema: str) -> None:
        super().__init__(warehouse, schema)
        self.exists = all(warehouse.has_table(schema, table) for table in STATE_TABLES)

    def ensure(self) -> None:
        """Never create anything; reads happen only when the tables exist."""

    def orphans(self, model_id: str, relation: str, key: str) -> list[tuple[str, str]]:
        return super().orphans(model_id, relation, key) if self.exists else []

    def save_watermark(
        self, model_id: str, watermark: Watermark, cursor_type: str | None = None
    ) -> None:
        """A plan moves no watermark."""

    def record_rows(self, model_id: str, run_id: str, entries: Sequence[LedgerEntry]) -> None:
        """A plan settles no row."""

    def forget_rows(self, model_id: str, row_keys: Sequence[str]) -> None:
        """A plan deletes nothing."""

    def record_run(self, run: RunRecord) -> None:
        """A plan is no run."""


def seconds_at_rate_limit(requests: Mapping[Endpoint, int], per_minute: int) -> float:
    """How long the client's pacing spreads these requests over, each endpoint by its own
    bucket (as Clarify limits them), one after another: a fresh bucket sends ``burst`` at once,
    then one per interval."""
    by_bucket: Counter[tuple[str, str]] = Counter()
    for (method, route, _), count in requests.items():
        by_bucket[(method, route)] += count
    pacer = EndpointPacer(per_minute, clock=time.monotonic, sleep=asyncio.sleep)
    seconds = sum(max(0, n - pacer.burst) * pacer.interval_s for n in by_bucket.values())
    return round(seconds, 2)


async def _plan(
    options: SyncOptions, reporter: Reporter, samples: int, plan_path: Path | None
) -> PlanResult:
    started = time.monotonic()
    result = PlanResult(
        started_at=datetime.now(timezone.utc), version=__version__, target=options.target
    )
    skipped: list[ModelResult] = []

    async def plan_models(run: CheckedRun) -> None:
        result.models.extend(_skipped_plan(m) for m in skipped)
        per_minute = run.client.options.rate_limit_per_minute
        result.rate_limit_per_minute = per_minute
        state = await run.warehouse_thread.run(StateSnapshot, run.warehouse, run.state_schema)
        engine_options = options if state.exists else replace(options, full_refresh=True)
        writes = PlannedWrites(run.client, run.schemas, samples=samples)
        engine = ModelSync(run, state, engine_options, reporter, "plan", client=writes)
        try:
            for model in run.models:
                writes.start_model(model.spec.object)
                before = writes.requests.by_endpoint.copy()
                model_result = await engine.sync(model, run.schemas[model.spec.object])
                reporter.model_finished(model_result)
                requests = writes.requests.by_endpoint - before
                result.models.append(_model_plan(model, model_result, writes, requests, per_minute))
        finally:
            result.lookups = run.client.stats.total

    project = await run_checked(options, reporter, plan_models, skipped, read_only=True)
    result.target = project.target_name
    result.elapsed_s = round(time.monotonic() - started, 3)
    result.write(plan_path or project.target_path / PLAN_FILE)
    return result


def _model_plan(
    model: SyncModel,
    synced: ModelResult,
    writes: PlannedWrites,
    requests: Mapping[Endpoint, int],
    per_minute: int,
) -> ModelPlan:
    return ModelPlan(
        unique_id=synced.unique_id,
        name=synced.name,
        object=synced.object,
        match_on=model.spec.match_on,
        read=synced.read,
        create=synced.created,
        update=synced.updated - writes.undetermined,
        create_or_update=writes.undetermined,
        skip=synced.unchanged,
        reject=synced.rejected,
        fail=synced.failed,
        delete=synced.deleted,
        unlinked=synced.unlinked,
        issue_counts=synced.issue_counts,
        issues=synced.issues,
        requests=[
            EndpointRequests(endpoint=endpoint_path(endpoint), requests=count)
            for endpoint, count in sorted(requests.items())
        ],
        seconds_at_rate_limit=seconds_at_rate_limit(requests, per_minute),
        samples=writes.samples,
    )


def _skipped_plan(skipped: ModelResult) -> ModelPlan:
    return ModelPlan(
        unique_id=skipped.unique_id,
        name=skipped.name,
        object=skipped.object,
        status="skipped",
        message=skipped.message,
    )
