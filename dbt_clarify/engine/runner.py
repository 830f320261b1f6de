"""The sync engine: check everything first, then per model read changes, send, and checkpoint.

Order of work, so that a mistake costs nothing:
1. read the dbt project and the selection, parse every selected model's block;
2. check every block against Clarify's schema and the model's real columns;
3. only then, model by model (companies before the people linked to them), stream the rows past
   the watermark, build records, upsert them, and checkpoint the watermark after each batch.

The watermark never passes a row that failed transiently: from the first such row on it stays
put, so the next run reads that row again (the upserts it repeats are safe through ``match_on``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Literal

from dbt_clarify import __version__
from dbt_clarify.clarify import ClarifyClient, ClientOptions, WriteOutcome
from dbt_clarify.clarify.schema import ObjectSchema
from dbt_clarify.dbt import ColumnInfo, DbtProject, ModelNode, ProjectOptions, Warehouse
from dbt_clarify.engine.linking import CompanyLinker
from dbt_clarify.engine.options import SyncOptions
from dbt_clarify.engine.progress import Reporter, SilentReporter
from dbt_clarify.engine.reader import ChangedRow, read_changed_rows
from dbt_clarify.engine.records import BuiltRecord, RecordBuilder, RejectedRow
from dbt_clarify.engine.result import ModelResult, RowIssueResult, RunResult
from dbt_clarify.errors import ConfigError
from dbt_clarify.spec import SyncSpec, check_columns, check_schema, parse_spec
from dbt_clarify.state import RowIssue, RunRecord, StateStore, Watermark, default_state_schema

IssueStatus = Literal["rejected", "failed"]
CLARIFY_TAG = "clarify"
SUPERSEDED = "superseded by a later row with the same key in this model"


@dataclass(frozen=True)
class SyncModel:
    """A selected model that passed every check, with the columns to read."""

    node: ModelNode
    spec: SyncSpec
    columns: tuple[str, ...]
    """Warehouse column names to select, in the warehouse's own spelling."""
    cursor_column: str | None
    key_column: str
    cursor_type: str | None


def run_sync(options: SyncOptions, reporter: Reporter | None = None) -> RunResult:
    """Run one sync and return its result; the result file is written too."""
    return asyncio.run(_run(options, reporter or SilentReporter()))


def select_sync_models(
    project: DbtProject, options: SyncOptions
) -> list[tuple[ModelNode, SyncSpec]]:
    """The selected models that are sync models, each with its parsed block."""
    nodes = project.select(options.select, options.exclude, options.selector)
    chosen = [n for n in nodes if CLARIFY_TAG in n.tags or n.clarify_block is not None]
    pairs = [(n, parse_spec(n.name, n.schema_file, n.block_key, n.clarify_block)) for n in chosen]
    # Companies first, so people in the same run link to them; otherwise dbt's own order.
    return sorted(pairs, key=lambda pair: pair[1].object != "company")


def prepare_model(node: ModelNode, spec: SyncSpec, columns: Sequence[ColumnInfo]) -> SyncModel:
    """Check a block against the model's real columns and resolve their warehouse spelling."""
    where = f"{node.name} ({node.schema_file or node.sql_file})"
    if node.relation_name is None:
        raise ConfigError(
            f"{where}: an ephemeral model has no table or view to read",
            hint="materialize the sync model as a view or table",
        )
    if spec.mode != "upsert":
        raise ConfigError(
            f"{where}: {spec.block_key}.mode: '{spec.mode}' is not supported by this version",
            hint="use mode: upsert (the default)",
        )
    check_columns(spec, [c.name for c in columns])
    by_lower = {c.name.lower(): c for c in columns}
    wanted = [m.column for m in spec.fields] + [spec.primary_key]
    if spec.cursor:
        wanted.append(spec.cursor)
    names = tuple(dict.fromkeys(by_lower[w.lower()].name for w in wanted))
    cursor = by_lower[spec.cursor.lower()] if spec.cursor else None
    return SyncModel(
        node=node,
        spec=spec,
        columns=names,
        cursor_column=cursor.name if cursor else None,
        key_column=by_lower[spec.primary_key.lower()].name,
        cursor_type=cursor.data_type if cursor else None,
    )


async def _run(options: SyncOptions, reporter: Reporter) -> RunResult:
    started = time.monotonic()
    result = RunResult(
        run_id=str(uuid.uuid4()),
        started_at=datetime.now(timezone.utc),
        version=__version__,
        target=options.target,
    )
    project = DbtProject.load(
        ProjectOptions(
            project_dir=options.project_dir,
            profiles_dir=options.profiles_dir,
            target=options.target,
            vars=options.vars,
        )
    )
    result.target = project.target_name
    selected = select_sync_models(project, options)
    if not selected:
        reporter.warning("nothing to sync: the selection holds no model tagged 'clarify'")
    overrides = {"batch_size": options.batch_size, "concurrency": options.concurrency}
    client_options = replace(
        ClientOptions(), **{k: v for k, v in overrides.items() if v is not None}
    )
    if selected:
        async with ClarifyClient(options.settings, client_options) as client:
            schemas = await client.get_schemas()
            for _, spec in selected:
                check_schema(spec, schemas)
            with project.connect() as warehouse:
                models = [prepare_model(n, s, warehouse.columns(n)) for n, s in selected]
                state = StateStore(
                    warehouse, options.state_schema or default_state_schema(project.target_schema)
                )
                state.ensure()
                engine = _ModelSync(client, warehouse, state, options, reporter, result.run_id)
                for model in models:
                    model_result = await engine.sync(model, schemas[model.spec.object])
                    result.models.append(model_result)
                    reporter.model_finished(model_result)
                    if options.fail_fast and (model_result.rejected or model_result.failed):
                        reporter.warning("stopping after the first model with rejected rows")
                        break
    result.finished_at = datetime.now(timezone.utc)
    result.elapsed_s = round(time.monotonic() - started, 3)
    result.write(options.run_result_path or project.target_path / "clarify_run_results.json")
    return result


class _ModelSync:
    """Syncs one model at a time; holds what models share within a run (client, linker, state)."""

    def __init__(
        self,
        client: ClarifyClient,
        warehouse: Warehouse,
        state: StateStore,
        options: SyncOptions,
        reporter: Reporter,
        run_id: str,
    ) -> None:
        self.client = client
        self.warehouse = warehouse
        self.state = state
        self.options = options
        self.reporter = reporter
        self.run_id = run_id
        self.linker = CompanyLinker(client)

    async def sync(self, model: SyncModel, schema: ObjectSchema) -> ModelResult:
        node, spec = model.node, model.spec
        started_at = datetime.now(timezone.utc)
        started = time.monotonic()
        requests_before = self.client.stats.total
        result = ModelResult(unique_id=node.unique_id, name=node.name, object=spec.object)
        self.reporter.model_started(node.name, spec.object)

        watermark = None if self.options.full_refresh else self.state.watermark(node.unique_id)
        if watermark is not None and watermark.mapping_hash != spec.mapping_hash():
            self.reporter.warning(f"{node.name}: its clarify block changed; resyncing every row")
            watermark = None
        open_issues = {i.row_key for i in self.state.issues(node.unique_id)}
        rows = read_changed_rows(
            self.warehouse,
            node,
            model.columns,
            model.cursor_column,
            model.key_column,
            watermark,
            spec.lookback_seconds,
            self.options.read_batch_rows,
        )
        builder = RecordBuilder(spec, schema, rows.columns)
        stalled = False
        try:
            for batch in rows:
                result.read += len(batch)
                issues, synced, first_failed = await self._send_batch(model, builder, batch, result)
                if issues:
                    self.state.record_issues(node.unique_id, self.run_id, issues)
                cleared = [k for k in synced if k in open_issues]
                if cleared:
                    self.state.clear_issues(node.unique_id, cleared)
                    open_issues.difference_update(cleared)
                if not stalled:
                    done = batch if first_failed is None else batch[:first_failed]
                    if done:
                        last = done[-1]
                        watermark = Watermark(
                            last.cursor_value, last.key_value, spec.mapping_hash()
                        )
                        self.state.save_watermark(node.unique_id, watermark)
                    stalled = first_failed is not None
                self.reporter.rows_done(node.name, len(batch))
                if self.options.fail_fast and issues:
                    break
        finally:
            rows.close()
        result.requests = self.client.stats.total - requests_before
        result.elapsed_s = round(time.monotonic() - started, 3)
        if result.rejected or result.failed:
            result.status = "partial"
        self.state.record_run(
            RunRecord(
                run_id=self.run_id,
                model_id=node.unique_id,
                started_at=started_at,
                finished_at=datetime.now(timezone.utc),
                status=result.status,
                rows_read=result.read,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                rejected=result.rejected,
                failed=result.failed,
                requests=result.requests,
            )
        )
        return result

    async def _send_batch(
        self,
        model: SyncModel,
        builder: RecordBuilder,
        batch: Sequence[ChangedRow],
        result: ModelResult,
    ) -> tuple[list[RowIssue], list[str], int | None]:
        """Send one batch; return its row issues, the keys synced, and the first failed index."""
        spec = model.spec
        issues: list[RowIssue] = []
        # In a batch the later row with a key wins; the reader flags earlier ones across batches.
        pending: dict[str, tuple[int, BuiltRecord]] = {}
        for index, row in enumerate(batch):
            if row.superseded:
                issues.append(self._issue(result, row.key_value, "rejected", SUPERSEDED, None))
                continue
            built = builder.build(row.values)
            if isinstance(built, RejectedRow):
                issues.append(
                    self._issue(result, row.key_value, "rejected", built.reason, built.field)
                )
                continue
            earlier = pending.pop(built.key, None)
            if earlier is not None:
                issues.append(
                    self._issue(result, batch[earlier[0]].key_value, "rejected", SUPERSEDED, None)
                )
            pending[built.key] = (index, built)

        sendable = list(pending.values())
        if spec.company_link_column:
            await self._link_companies(spec, [b for _, b in sendable], result)
        outcomes: list[WriteOutcome] = []
        if sendable:
            outcomes = await self.client.upsert_many(
                spec.object,
                [b.attributes for _, b in sendable],
                match_on=spec.match_on,
                append=builder.collection_fields,
            )
        synced: list[str] = []
        first_failed: int | None = None
        for (index, built), outcome in zip(sendable, outcomes, strict=True):
            key = batch[index].key_value
            if outcome.ok:
                synced.append(key)
                if outcome.created:
                    result.created += 1
                else:
                    result.updated += 1
                if spec.object == "company" and outcome.record_id:
                    self.linker.remember(built.key, outcome.record_id)
                continue
            error = outcome.error
            reason = (error.detail or error.title) if error else "no answer from Clarify"
            status: IssueStatus = "failed" if outcome.transient else "rejected"
            issues.append(self._issue(result, key, status, reason, error.field if error else None))
            if outcome.transient and (first_failed is None or index < first_failed):
                first_failed = index
        return issues, synced, first_failed

    async def _link_companies(
        self, spec: SyncSpec, records: list[BuiltRecord], result: ModelResult
    ) -> None:
        ids = await self.linker.resolve(
            (r.company_domain for r in records if r.company_domain),
            create_missing=spec.create_missing_companies,
        )
        for record in records:
            company_id = ids.get(record.company_domain) if record.company_domain else None
            if company_id:
                record.attributes["company_id"] = company_id
            elif record.company_domain:
                result.unlinked += 1

    @staticmethod
    def _issue(
        result: ModelResult, key: str, status: IssueStatus, reason: str, field: str | None
    ) -> RowIssue:
        issue = RowIssue(row_key=key, status=status, reason=reason, field=field)
        result.add_issue(RowIssueResult(key=key, status=status, reason=reason, field=field))
        return issue
