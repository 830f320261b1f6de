"""The sync engine: check everything first, then per model read changes, send, and checkpoint.

Order of work, so that a mistake costs nothing:
1. read the dbt project and the selection, parse every selected model's block;
2. check every block against Clarify's schema and the model's real columns;
3. only then, model by model (companies before the people linked to them), stream the rows past
   the watermark, build records, upsert them, and checkpoint the watermark every few batches.

Requests go out from the event loop; every warehouse call, from opening the connection on,
runs on one thread of its own (``WarehouseThread``), so that neither holds the other up.

Nothing is lost: every row read ends in the per-row ledger as synced (with its content hash
and Clarify id), rejected (with Clarify's reason) or failed (retries exhausted), in the same
checkpoint that moves the watermark past it. Failed rows are read again by key on every later
run, whatever their cursor; rejected ones when their content, the mapping or Clarify's schema
changes, and otherwise until they have had ``REJECTED_RETRY_LIMIT`` attempts. Nothing is sent
twice for nothing: a row whose content hash matches the ledger is filtered out in the warehouse.
A crash between a send and its checkpoint only means that batch (and the one sent while it was
checkpointed) is sent again next run, and the upserts through ``match_on`` update the same
records.

``plan`` (``engine.plan``) runs these same steps through ``run_checked`` and ``ModelSync`` with
the writes counted instead of sent and the state only read.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Protocol

from dbt_clarify import __version__
from dbt_clarify.clarify import ClarifyClient, ClientOptions, WriteOutcome
from dbt_clarify.clarify.schema import ObjectSchema
from dbt_clarify.dbt import (
    ColumnInfo,
    DbtProject,
    ModelNode,
    ProjectOptions,
    Warehouse,
    WarehouseThread,
)
from dbt_clarify.dbt_cloud import DbtCloudSettings, fetch_cloud_artifacts
from dbt_clarify.dbt_results import DbtResults, dbt_results_for_sync
from dbt_clarify.engine.gating import gate
from dbt_clarify.engine.linking import CompanyLinker
from dbt_clarify.engine.options import SyncOptions
from dbt_clarify.engine.progress import Reporter, SilentReporter
from dbt_clarify.engine.reader import (
    ChangedRow,
    LedgerFilter,
    RowSelection,
    count_rows,
    read_changed_rows,
)
from dbt_clarify.engine.records import BuiltRecord, RecordBuilder, RejectedRow
from dbt_clarify.engine.result import ModelResult, RowIssueResult, RunResult
from dbt_clarify.engine.sync_client import SyncClient
from dbt_clarify.errors import ConfigError
from dbt_clarify.heap import long_lived_objects_frozen, young_collections_rarer
from dbt_clarify.spec import SyncSpec, check_columns, check_schema, parse_spec
from dbt_clarify.state import (
    LedgerEntry,
    RunRecord,
    StateStore,
    Watermark,
    default_state_schema,
)

IssueStatus = Literal["rejected", "failed"]
CLARIFY_TAG = "clarify"
SUPERSEDED = "superseded by a later row with the same key in this model"
REJECTED_RETRY_LIMIT = 3
"""Attempts a rejected row gets while neither it, its mapping nor Clarify's schema changes."""
BATCHES_AHEAD = 2
"""Read batches sent beyond the oldest one not yet settled. While a checkpoint and the next read
run on the warehouse thread, these are what Clarify works on: with one, a lifted sync ran dry
and went 10-20% slower (benchmarks/HISTORY.md, at dd7ed89)."""


@dataclass(frozen=True)
class SyncModel:
    """A selected model that passed every check, with the columns to read."""

    node: ModelNode
    spec: SyncSpec
    columns: tuple[str, ...]
    """Warehouse column names to select, in the warehouse's own spelling."""
    mapped_columns: tuple[str, ...]
    """The columns whose values are sent: a row's content hash covers these."""
    cursor_column: str | None
    key_column: str
    cursor_type: str | None


def run_sync(options: SyncOptions, reporter: Reporter | None = None) -> RunResult:
    """Run one sync and return its result; the result file is written too."""
    return asyncio.run(_run(options, reporter or SilentReporter()))


class Selection(Protocol):
    """dbt's selection flags, as sync options and command scopes both carry them."""

    @property
    def select(self) -> Sequence[str]: ...
    @property
    def exclude(self) -> Sequence[str]: ...
    @property
    def selector(self) -> str | None: ...


def select_sync_models(project: DbtProject, options: Selection) -> list[tuple[ModelNode, SyncSpec]]:
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
    mapped = tuple(dict.fromkeys(by_lower[m.column.lower()].name for m in spec.fields))
    cursor = by_lower[spec.cursor.lower()] if spec.cursor else None
    return SyncModel(
        node=node,
        spec=spec,
        columns=names,
        mapped_columns=mapped,
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

    async def sync_models(run: CheckedRun) -> None:
        state = StateStore(run.warehouse, run.state_schema)
        await run.warehouse_thread.run(state.ensure)
        engine = ModelSync(run, state, options, reporter, result.run_id)
        for model in run.models:
            model_result = await engine.sync(model, run.schemas[model.spec.object])
            result.models.append(model_result)
            reporter.model_finished(model_result)
            if options.fail_fast and (model_result.rejected or model_result.failed):
                reporter.warning("stopping after the first model with rejected rows")
                break

    project = await run_checked(options, reporter, sync_models, result.models, read_only=False)
    result.target = project.target_name
    result.finished_at = datetime.now(timezone.utc)
    result.elapsed_s = round(time.monotonic() - started, 3)
    result.write(options.run_result_path or project.target_path / "clarify_run_results.json")
    return result


@dataclass(frozen=True)
class CheckedRun:
    """What a sync (or its plan) works with once every check has passed."""

    client: ClarifyClient
    warehouse: Warehouse
    warehouse_thread: WarehouseThread
    """The thread that opened ``warehouse``: make every call to it there."""
    schemas: dict[str, ObjectSchema]
    state_schema: str
    models: list[SyncModel]


async def run_checked(
    options: SyncOptions,
    reporter: Reporter,
    work: Callable[[CheckedRun], Awaitable[None]],
    skipped: list[ModelResult],
    *,
    read_only: bool,
) -> DbtProject:
    """Load the project, check every selected model, then hand the open run to ``work``.

    Models whose latest dbt build or tests failed are appended to ``skipped``. With
    ``read_only`` (a plan) the checks write nothing to the warehouse either.
    """
    manifest_path, run_results_path = _dbt_artifacts(options, reporter)
    with young_collections_rarer():  # dbt's import and parse keep most of what they allocate
        project = DbtProject.load(
            ProjectOptions(
                project_dir=options.project_dir,
                profiles_dir=options.profiles_dir,
                target=options.target,
                vars=options.vars,
                manifest_path=manifest_path,
            )
        )
    selected = select_sync_models(project, options)
    if not selected:
        reporter.warning("nothing to sync: the selection holds no model tagged 'clarify'")
        return project
    async with ClarifyClient(options.settings, _client_options(options)) as client:
        schemas = await client.get_schemas()
        for _, spec in selected:
            check_schema(spec, schemas)
        with WarehouseThread() as thread:
            async with thread.entered(project.connect()) as warehouse:
                state_schema = options.state_schema or default_state_schema(project.target_schema)
                if not options.ignore_dbt_results:
                    dbt_results = await thread.run(
                        dbt_results_for_sync,
                        warehouse,
                        state_schema,
                        [node.unique_id for node, _ in selected],
                        run_results_path=run_results_path,
                        target_path=project.target_path,
                        read_only=read_only,
                    )
                    selected = _skip_failed_dbt_models(
                        project, dbt_results, selected, skipped, reporter
                    )
                models = [
                    prepare_model(n, s, await thread.run(warehouse.columns, n)) for n, s in selected
                ]
                with long_lived_objects_frozen(), young_collections_rarer():
                    await work(CheckedRun(client, warehouse, thread, schemas, state_schema, models))
    return project


def _client_options(options: SyncOptions) -> ClientOptions:
    client_options = options.client or ClientOptions()
    if options.batch_size is not None:
        client_options = replace(client_options, batch_size=options.batch_size)
    if options.concurrency is not None:
        client_options = replace(client_options, concurrency=options.concurrency)
    return client_options


def _dbt_artifacts(options: SyncOptions, reporter: Reporter) -> tuple[Path | None, Path | None]:
    """The manifest and run results to use: given paths, or fetched from a dbt Cloud run."""
    manifest_path, run_results_path = options.manifest_path, options.run_results_path
    if options.dbt_cloud_run_id is not None or options.dbt_cloud_job_id is not None:
        fetched = fetch_cloud_artifacts(
            DbtCloudSettings.from_env(),
            options.project_dir / "target" / "dbt_cloud",
            run_id=options.dbt_cloud_run_id,
            job_id=options.dbt_cloud_job_id,
        )
        reporter.warning(f"using the manifest and run results of dbt Cloud run {fetched.run_id}")
        manifest_path = manifest_path or fetched.manifest_path
        run_results_path = run_results_path or fetched.run_results_path
    return manifest_path, run_results_path


def _skip_failed_dbt_models(
    project: DbtProject,
    dbt_results: DbtResults,
    selected: list[tuple[ModelNode, SyncSpec]],
    skipped_results: list[ModelResult],
    reporter: Reporter,
) -> list[tuple[ModelNode, SyncSpec]]:
    """Drop the models whose latest dbt build or tests failed, reporting each as skipped.

    Checked before anything else touches a model: one that failed to build may have no table.
    """
    decision = gate([n for n, _ in selected], dbt_results, project.tested_models())
    specs = {node.unique_id: spec for node, spec in selected}
    for skipped in decision.skipped:
        reporter.warning(skipped.warning)
        skipped_results.append(
            ModelResult(
                unique_id=skipped.node.unique_id,
                name=skipped.node.name,
                object=specs[skipped.node.unique_id].object,
                status="skipped",
                message=skipped.reason,
            )
        )
    return [(n, s) for n, s in selected if decision.keeps(n)]


class ModelSync:
    """Syncs one model at a time; holds what models share within a run (client, linker, state).

    Every warehouse call it makes (reads, counts, checkpoints) runs on the run's warehouse
    thread, so that requests go on while the warehouse works. A plan runs it too, with a client
    that counts writes and a state store that keeps nothing.
    """

    def __init__(
        self,
        run: CheckedRun,
        state: StateStore,
        options: SyncOptions,
        reporter: Reporter,
        run_id: str,
        *,
        client: SyncClient | None = None,
    ) -> None:
        self.client: SyncClient = client or run.client
        self.warehouse = run.warehouse
        self.off_loop = run.warehouse_thread.run
        self.state = state
        self.options = options
        self.reporter = reporter
        self.run_id = run_id
        self.linker = CompanyLinker(self.client)

    async def sync(self, model: SyncModel, schema: ObjectSchema) -> ModelResult:
        node, spec = model.node, model.spec
        started_at = datetime.now(timezone.utc)
        started = time.monotonic()
        requests_before = self.client.stats.total
        result = ModelResult(unique_id=node.unique_id, name=node.name, object=spec.object)
        self.reporter.model_started(node.name, spec.object)

        selection = await self._selection(model, schema)
        candidates = await self.off_loop(count_rows, self.warehouse, selection, "candidates")
        completed = True
        if candidates:  # else nothing is past the watermark or troubled: skip the read's hashing
            completed = await self._send_changed_rows(model, schema, selection, result)
        if completed:
            result.unchanged += max(candidates - result.read, 0)
        else:  # stopped early: the rows left unread are not all unchanged
            unchanged = await self.off_loop(count_rows, self.warehouse, selection, "unchanged")
            result.unchanged += unchanged
        if completed and spec.on_delete == "delete":
            await self._delete_orphans(model, result)
        result.requests = self.client.stats.total - requests_before
        result.elapsed_s = round(time.monotonic() - started, 3)
        if result.rejected or result.failed:
            result.status = "partial"
        await self.off_loop(
            self.state.record_run,
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
            ),
        )
        return result

    async def _send_changed_rows(
        self, model: SyncModel, schema: ObjectSchema, selection: RowSelection, result: ModelResult
    ) -> bool:
        """Read, send and checkpoint the selected rows; whether every one was read.

        While a batch's requests are out, the next ``BATCHES_AHEAD`` batches are read and sent
        too, and the first one's checkpoint is written while Clarify answers the others: the
        warehouse and Clarify work at once. A checkpoint covers the batches settled since the
        last one, once they hold ``checkpoint_rows``: each checkpoint has a cost of its own in
        the warehouse. The warehouse thread reads the next batch before it writes a checkpoint,
        and the sending goes on while it writes one; checkpoints still go in read order, one at
        a time, and the last is written before this returns. With ``fail_fast`` a batch goes
        only once the last one is checkpointed, so the sync stops before sending anything more.
        """
        options = self.options
        rows = await self.off_loop(
            read_changed_rows, self.warehouse, selection, options.read_batch_rows
        )
        builder = RecordBuilder(model.spec, schema, rows.columns)
        schema_hash = schema.fingerprint()
        ahead = 0 if options.fail_fast else BATCHES_AHEAD
        in_flight: deque[tuple[list[ChangedRow], asyncio.Future[list[LedgerEntry]]]] = deque()
        unsaved = _UnsavedBatches()

        # The checkpoint being written, if any: awaited before the next one starts.
        saving: list[asyncio.Future[None]] = []

        async def write(last_row: ChangedRow, entries: list[LedgerEntry], rows: int) -> None:
            await self.off_loop(self._checkpoint, model, last_row, entries)
            self.reporter.rows_done(model.node.name, rows)

        async def written() -> None:
            while saving:
                await saving.pop()

        async def checkpoint(*, wait: bool) -> None:
            await written()
            if unsaved.last_row is not None:
                saving.append(
                    asyncio.ensure_future(write(unsaved.last_row, unsaved.entries, unsaved.rows))
                )
                unsaved.clear()
            if wait:
                await written()

        async def settle_oldest() -> None:
            oldest, sent = in_flight.popleft()
            unsaved.add(oldest, await sent)
            if options.fail_fast or unsaved.rows >= options.checkpoint_rows:
                await checkpoint(wait=options.fail_fast)

        batches = iter(rows)

        def read_next() -> asyncio.Future[list[ChangedRow]]:
            return asyncio.ensure_future(self.off_loop(next, batches, []))

        reading = read_next()
        try:
            while batch := await reading:
                reading = read_next()
                result.read += len(batch)
                sending = self._send_batch(model, builder, batch, schema_hash, result)
                in_flight.append((batch, asyncio.ensure_future(sending)))
                while len(in_flight) > ahead:
                    await settle_oldest()
                    if options.fail_fast and (result.rejected or result.failed):
                        return False
            while in_flight:
                await settle_oldest()
            await checkpoint(wait=True)
        finally:
            # Only when stopped by an error: a checkpoint being written is finished, and the
            # batches not checkpointed go again next run.
            for _, sent in in_flight:
                sent.cancel()
            await asyncio.gather(
                *(sent for _, sent in in_flight), reading, *saving, return_exceptions=True
            )
            await self.off_loop(rows.close)
        return True

    async def _selection(self, model: SyncModel, schema: ObjectSchema) -> RowSelection:
        """The rows to read: past the watermark and, unless refreshing, changed per the ledger."""
        node, spec = model.node, model.spec
        watermark = None
        if model.cursor_column and not self.options.full_refresh:
            watermark = await self.off_loop(self.state.watermark, node.unique_id)
        if watermark is not None and watermark.mapping_hash != spec.mapping_hash():
            self.reporter.warning(f"{node.name}: its clarify block changed; resyncing every row")
            watermark = None
        ledger = None
        if not self.options.full_refresh:
            ledger = LedgerFilter(
                schema=self.state.schema,
                model_id=node.unique_id,
                schema_hash=schema.fingerprint(),
                retry_limit=REJECTED_RETRY_LIMIT,
            )
        return RowSelection(
            node=node,
            columns=model.columns,
            cursor=model.cursor_column,
            key=model.key_column,
            cursor_type=model.cursor_type,
            watermark=watermark,
            lookback_seconds=spec.lookback_seconds,
            hash_columns=model.mapped_columns,
            salt=spec.mapping_hash(),
            ledger=ledger,
        )

    def _checkpoint(
        self, model: SyncModel, last_row: ChangedRow, entries: Sequence[LedgerEntry]
    ) -> None:
        """Record what happened to each row settled, then move the watermark past the last."""
        node = model.node
        with self.state.transaction():
            self.state.record_rows(node.unique_id, self.run_id, entries)
            if model.cursor_column:
                self.state.save_watermark(
                    node.unique_id,
                    Watermark(last_row.cursor_value, last_row.key_value, model.spec.mapping_hash()),
                    model.cursor_type,
                )

    async def _send_batch(
        self,
        model: SyncModel,
        builder: RecordBuilder,
        batch: Sequence[ChangedRow],
        schema_hash: str,
        result: ModelResult,
    ) -> list[LedgerEntry]:
        """Send one batch; return a ledger entry for every row in it."""
        spec = model.spec
        entries: list[LedgerEntry] = []

        def trouble(row: ChangedRow, status: IssueStatus, reason: str, field: str | None) -> None:
            result.add_issue(
                RowIssueResult(key=row.key_value, status=status, reason=reason, field=field)
            )
            entries.append(
                LedgerEntry(
                    row_key=row.key_value,
                    status=status,
                    row_hash=row.row_hash,
                    reason=reason,
                    field=field,
                    schema_hash=schema_hash,
                    known=row.known,
                )
            )

        # In a batch the later row with a key wins; the reader flags earlier ones across batches.
        pending: dict[str, tuple[ChangedRow, BuiltRecord]] = {}
        for row in batch:
            if row.superseded:
                trouble(row, "rejected", SUPERSEDED, None)
                continue
            built = builder.build(row.values)
            if isinstance(built, RejectedRow):
                trouble(row, "rejected", built.reason, built.field)
                continue
            earlier = pending.pop(built.key, None)
            if earlier is not None:
                trouble(earlier[0], "rejected", SUPERSEDED, None)
            pending[built.key] = (row, built)

        sendable = list(pending.values())
        if spec.company_link_column:
            unavailable = await self._link_companies(spec, [b for _, b in sendable], result)
            for row, built in [p for p in sendable if p[1].company_domain in unavailable]:
                reason = unavailable[built.company_domain or ""]
                trouble(row, "failed", f"company lookup failed: {reason}", "company.domains")
            sendable = [p for p in sendable if p[1].company_domain not in unavailable]
            # An unchanged row synced without its company goes out again only to link it.
            still_unlinked = [p for p in sendable if p[0].relink and _unlinked(p[1])]
            result.unchanged += len(still_unlinked)
            sendable = [p for p in sendable if not (p[0].relink and _unlinked(p[1]))]
        outcomes: list[WriteOutcome] = []
        if sendable:
            outcomes = await self.client.upsert_many(
                spec.object,
                [b.attributes for _, b in sendable],
                match_on=spec.match_on,
                append=builder.collection_fields,
            )
        # Counted here and added once: each change of a result's count is a pydantic setattr.
        created = updated = unlinked = 0
        for (row, built), outcome in zip(sendable, outcomes, strict=True):
            if outcome.ok:
                if outcome.created:
                    created += 1
                else:
                    updated += 1
                if spec.object == "company" and outcome.record_id:
                    self.linker.remember(built.key, outcome.record_id)
                without_company = _unlinked(built)
                unlinked += without_company
                entries.append(
                    LedgerEntry(
                        row_key=row.key_value,
                        status="unlinked" if without_company else "synced",
                        row_hash=row.row_hash,
                        clarify_id=outcome.record_id,
                        known=row.known,
                    )
                )
                continue
            error = outcome.error
            reason = (error.detail or error.title) if error else "no answer from Clarify"
            status: IssueStatus = "failed" if outcome.transient else "rejected"
            trouble(row, status, reason, error.field if error else None)
        result.created += created
        result.updated += updated
        result.unlinked += unlinked
        return entries

    async def _delete_orphans(self, model: SyncModel, result: ModelResult) -> None:
        """Delete from Clarify the records this tool synced for keys that left the model."""
        node = model.node
        assert node.relation_name is not None  # prepare_model refuses ephemeral models
        orphans = await self.off_loop(
            self.state.orphans, node.unique_id, node.relation_name, model.key_column
        )
        if not orphans:
            return
        ids = list(dict.fromkeys(clarify_id for _, clarify_id in orphans))
        await self.client.delete_records(model.spec.object, ids, missing_ok=True)
        await self.off_loop(self.state.forget_rows, node.unique_id, [key for key, _ in orphans])
        result.deleted = len(ids)

    async def _link_companies(
        self, spec: SyncSpec, records: list[BuiltRecord], result: ModelResult
    ) -> dict[str, str]:
        """Set each record's company_id; return the domains Clarify could not be asked about."""
        links = await self.linker.resolve(
            (r.company_domain for r in records if r.company_domain),
            create_missing=spec.create_missing_companies,
        )
        for record in records:
            if not record.company_domain or record.company_domain in links.unavailable:
                continue
            company_id = links.ids.get(record.company_domain)
            if company_id:
                record.attributes["company_id"] = company_id
        return links.unavailable


@dataclass
class _UnsavedBatches:
    """The batches a sync has settled since its last checkpoint: what the next one writes."""

    rows: int = 0
    entries: list[LedgerEntry] = field(default_factory=list)
    last_row: ChangedRow | None = None

    def add(self, batch: list[ChangedRow], entries: list[LedgerEntry]) -> None:
        self.rows += len(batch)
        self.entries += entries
        self.last_row = batch[-1]

    def clear(self) -> None:
        self.rows, self.entries, self.last_row = 0, [], None


def _unlinked(record: BuiltRecord) -> bool:
    """A person whose company domain resolved to no company (yet)."""
    return bool(record.company_domain) and "company_id" not in record.attributes
