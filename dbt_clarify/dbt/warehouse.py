"""A live warehouse connection: render dbt_clarify macros, run their SQL, stream rows.

Statements go through dbt's connection manager, so transactions follow each adapter's rules
(BigQuery and Databricks have none: each statement commits on its own). dbt writes each
statement's full text to its log file; statements that hold row data (ledger keys, which are
customers' emails and domains) skip that log where the driver's cursor can run them directly.
Rows are streamed batch by batch through a cursor of their own (see ``streams``), never through
agate, so memory stays flat and state can be written between batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from dbt_clarify.dbt.duckdb_limits import cap_duckdb, is_out_of_memory, uncap_duckdb
from dbt_clarify.dbt.macros import MacroRenderer
from dbt_clarify.dbt.nodes import ColumnInfo, ModelNode
from dbt_clarify.dbt.runner import one_line
from dbt_clarify.dbt.streams import PartedSort, RowCursor, open_row_cursor
from dbt_clarify.errors import ConfigError, DbtClarifyError, WarehouseError

T = TypeVar("T")
UNLOGGED_ADAPTERS = frozenset({"duckdb", "postgres", "redshift", "snowflake"})
"""Adapters whose dbt connection handle is a DB-API connection: a statement can run on its
cursor without dbt's query event. BigQuery runs jobs and Databricks wraps its cursors, so
their statements keep going through dbt, which logs them (Databricks abridged)."""
_UNLOGGED_SQL = "(a statement with row data, not logged)"
_QUERY_HINT = "see dbt's log file (logs/dbt.log) for the statement and the full error"


@contextlib.contextmanager
def _warehouse_errors(action: str, hint: str = _QUERY_HINT) -> Iterator[None]:
    """Turn driver and dbt failures into a one-line WarehouseError."""
    try:
        yield
    except DbtClarifyError:
        raise
    except Exception as error:
        raise WarehouseError(f"{action} failed: {one_line(error)}", hint=hint) from error


def release_database(adapter: Any) -> None:
    """Let other processes at the database once the last connection is released.

    dbt-duckdb keeps its database open for the life of the process (``keep_open`` defaults to
    true), which would lock the file against a later `dbt build` or another sync; other
    adapters close on release.
    """
    if adapter.type() != "duckdb":
        return
    manager = type(adapter.connections)
    environment = getattr(manager, "_ENV", None)
    if environment is not None and getattr(environment, "handle_count", 0) == 0:
        environment.close()
        manager.close_all_connections()


def _end_stale_driver_transaction(handle: Any) -> None:
    """Let psycopg2 open the next transaction itself, so statements in it commit together.

    dbt-postgres sends no BEGIN (psycopg2 opens a transaction before a statement when it thinks
    none is open) and ends transactions with a COMMIT statement, which psycopg2 does not notice:
    it goes on believing a transaction is open, sends no BEGIN, and each later statement
    commits on its own, so a failed statement could no longer roll back the ones before it.
    """
    from psycopg2.extensions import STATUS_READY, TRANSACTION_STATUS_IDLE

    if handle.status != STATUS_READY and handle.info.transaction_status == TRANSACTION_STATUS_IDLE:
        handle.commit()  # nothing to commit on the server; psycopg2 marks itself ready


class RowStream:
    """The rows of one query, batch by batch. Iterate once; closes itself when exhausted."""

    def __init__(self, cursor: RowCursor, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._cursor = cursor
        self._batch_size = batch_size
        self._closed = False
        # Fetch before reading the description: some cursors fill it on the first fetch.
        try:
            self._first = self._fetch()
        except BaseException:
            self.close()
            raise
        self.columns: list[str] = [column[0] for column in cursor.description or ()]

    def __iter__(self) -> Iterator[list[tuple]]:
        batch, self._first = self._first, []
        try:
            while batch:
                yield batch
                batch = self._fetch()
        finally:
            self.close()

    def _fetch(self) -> list[tuple]:
        if self._closed:
            return []
        with _warehouse_errors("fetching rows"):
            return list(self._cursor.fetchmany(self._batch_size))

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with _warehouse_errors("closing a row stream"):
            self._cursor.close()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Warehouse:
    """The warehouse of a project's target, open for the length of ``DbtProject.connect``.

    dbt keeps one connection per thread: use a Warehouse from the thread that opened it.
    """

    def __init__(self, adapter: Any, manifest: Any, *, package: str) -> None:
        self._adapter = adapter
        self._duckdb_capped = cap_duckdb(adapter)
        self._manifest = manifest
        self._macros = MacroRenderer(adapter, manifest, package)
        self._streams: list[RowStream] = []
        self.adapter_type: str = adapter.type()

    def render(self, macro: str, **kwargs: Any) -> str | list[str]:
        """The SQL that the package's (dispatched) ``macro`` returns for these arguments."""
        return self._macros.render(macro, kwargs)

    def execute(self, sql: str | Sequence[str], *, holds_rows: bool = False) -> None:
        """Run statements (DDL, DML) in one transaction and commit them.

        ``holds_rows``: the statements' text holds row data, to be kept out of dbt's log.
        """
        statements = [sql] if isinstance(sql, str) else list(sql)
        with self._statements("running a statement"):
            for statement in statements:
                self._run(statement, fetch=False, holds_rows=holds_rows)

    def query(self, sql: str, *, holds_rows: bool = False) -> list[tuple]:
        """All rows of a small query (``holds_rows`` as for ``execute``)."""
        return self._within_duckdb_cap(lambda: self._query(sql, holds_rows))

    def _query(self, sql: str, holds_rows: bool) -> list[tuple]:
        with self._statements("running a query"):
            return self._run(sql, fetch=True, holds_rows=holds_rows)

    def _run(self, sql: str, *, fetch: bool, holds_rows: bool = False) -> list[tuple]:
        """One statement on dbt's connection; its rows if ``fetch``."""
        connections = self._adapter.connections
        if self.adapter_type == "bigquery":  # no DB-API cursor: a query job and its rows
            _, rows = connections.raw_execute(sql)
            return [tuple(row.values()) for row in rows] if fetch else []
        if holds_rows and self.adapter_type in UNLOGGED_ADAPTERS:
            with connections.exception_handler(_UNLOGGED_SQL):
                cursor = connections.get_thread_connection().handle.cursor()
                cursor.execute(sql)
        else:
            _, cursor = connections.add_query(sql, auto_begin=False, abridge_sql_log=holds_rows)
        return [tuple(row) for row in cursor.fetchall()] if fetch else []

    @property
    def sorts_in_parts(self) -> bool:
        """Whether a stream sorts a large query in parts (``PartedSort``): DuckDB, while the sync
        caps its memory (uncapped, the whole sort fits as it is)."""
        return "memory_limit" in self._duckdb_capped

    def stream(self, sql: str, batch_size: int, parted: PartedSort | None = None) -> RowStream:
        """The rows of a query of any size, fetched ``batch_size`` rows at a time.

        ``parted``: the same query told apart, used while ``sorts_in_parts``.
        """
        stream = self._within_duckdb_cap(
            lambda: self._start_stream(sql, batch_size, parted if self.sorts_in_parts else None)
        )
        self._streams = [*(open_ for open_ in self._streams if not open_.closed), stream]
        return stream

    def _start_stream(self, sql: str, batch_size: int, parted: PartedSort | None) -> RowStream:
        with _warehouse_errors("starting a query"):
            return RowStream(open_row_cursor(self._adapter, sql, batch_size, parted), batch_size)

    def _within_duckdb_cap(self, run: Callable[[], T]) -> T:
        """``run()``; run again without DuckDB's sync memory cap if it ran out of memory.

        Not inside an enclosing transaction: dbt rolls it back on the error, so a second run
        would land on its own while the block's earlier statements are gone.
        """
        enclosed = self._adapter.connections.get_thread_connection().transaction_open
        try:
            return run()
        except WarehouseError as error:
            # Only the sync's own limit is lifted; a profile's memory_limit is the user's call.
            if enclosed or not ("memory_limit" in self._duckdb_capped and is_out_of_memory(error)):
                raise
        uncap_duckdb(self._adapter, self._duckdb_capped)
        self._duckdb_capped = ()
        return run()

    def columns(self, node: ModelNode) -> list[ColumnInfo]:
        """The columns and types that the model's relation has in the warehouse."""
        manifest_node = self._manifest.nodes.get(node.unique_id)
        if node.relation_name is None or manifest_node is None:
            raise ConfigError(
                f"model {node.name} has no relation in the warehouse ({node.materialized})",
                hint="a sync model must be materialized as a table, view or incremental model",
            )
        relation = self._adapter.Relation.create(
            database=manifest_node.database,
            schema=manifest_node.schema,
            identifier=manifest_node.alias,
        )
        with self._statements(f"reading the columns of {node.relation_name}"):
            found = self._adapter.get_columns_in_relation(relation)
        if not found:
            raise ConfigError(
                f"model {node.name} has no table {node.relation_name} in the warehouse",
                hint=f"build it first: `dbt build --select {node.name}`",
            )
        return [ColumnInfo(name=column.name, data_type=column.dtype) for column in found]

    def has_table(self, schema: str, name: str) -> bool:
        """Whether ``schema.name`` exists, found without creating it (a plan writes nothing)."""
        with self._statements(f"looking for {schema}.{name}"):
            relation = self._adapter.get_relation(
                database=self._adapter.config.credentials.database, schema=schema, identifier=name
            )
        return relation is not None

    def close(self) -> None:
        """Close the streams still open; the connection itself is dbt's to release."""
        for stream in self._streams:
            stream.close()
        self._streams.clear()

    @contextlib.contextmanager
    def _statements(self, action: str) -> Iterator[None]:
        """A transaction whose statements' failures read as ``action`` failing, in one line."""
        with _warehouse_errors(action), self.transaction(action):
            yield

    @contextlib.contextmanager
    def transaction(self, action: str) -> Iterator[None]:
        """Run the block's statements in one transaction, committed at the end of the block.

        Statements inside join it rather than commit on their own, so that a sync's checkpoint
        (the ledger rows of a batch and the watermark past them) lands whole or not at all.
        """
        connections = self._adapter.connections
        with _warehouse_errors(action):
            connection = connections.get_thread_connection()
            enclosed = connection.transaction_open  # an enclosing block owns it
            if not enclosed:
                if self.adapter_type == "postgres":
                    _end_stale_driver_transaction(connection.handle)
                connections.begin()
        if enclosed:
            yield
            return
        try:
            yield
        except BaseException:
            with _warehouse_errors(action):
                connections.rollback_if_open()
            raise
        with _warehouse_errors(action):
            if connection.transaction_open:  # a dbt macro in the block may have committed
                connections.commit()
