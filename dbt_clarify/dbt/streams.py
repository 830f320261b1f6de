"""A cursor over one query's rows for each warehouse driver, fetched a batch at a time.

Rows never go through agate (slow, and all in memory), and a stream must stay readable while
the sync writes state on dbt's connection between batches, so each driver needs its own way:

- DuckDB: the rows are spooled to a Parquet file at once and read back by a DuckDB of the
  stream's own. A result read while the sync writes state would hold a transaction open for
  the whole sync, and DuckDB would keep every version of the state rows written meanwhile;
  within a memory limit (see ``duckdb_limits``) each write then costs more than the last;
- PostgreSQL: a named server-side cursor declared WITH HOLD, which survives the commits of
  state writes made while it is open;
- Redshift: redshift_connector reads a whole result into memory at execute, and a declared
  cursor dies with its transaction, so the stream declares one on a connection of its own and
  fetches it page by page;
- BigQuery: dbt's handle is a ``google.cloud.bigquery.Client``: a query job, read page by page;
- Databricks: a cursor of its own on the SQL connector's connection (dbt's handle closes its
  previous cursor whenever it runs a statement);
- others (Snowflake, whose connector fetches result chunks lazily): a new cursor of dbt's
  connection.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

_cursor_ids = itertools.count(1)
STREAM_CONNECTION_NAME = "dbt-clarify-stream"
REDSHIFT_FETCH_LIMIT = 1000
"""The most rows one Redshift FETCH may ask for (on a single-node cluster)."""


class RowCursor(Protocol):
    """What a stream reads: a DB-API cursor's ``description``, ``fetchmany`` and ``close``."""

    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...

    def fetchmany(self, size: int) -> Sequence[tuple]: ...

    def close(self) -> None: ...


def open_row_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    """Run ``sql`` on the adapter's warehouse and return a cursor over its rows.

    ``batch_size`` sizes the pages of drivers that fetch by pages. ``description`` may stay
    empty until the first ``fetchmany``.
    """
    opener = OPENERS.get(adapter.type(), _new_cursor)
    return opener(adapter, sql, batch_size)


def _thread_handle(adapter: Any) -> Any:
    return adapter.connections.get_thread_connection().handle


def _executed(cursor: Any, sql: str) -> Any:
    """``cursor`` after running ``sql``; closed if that fails."""
    try:
        cursor.execute(sql)
    except Exception:
        cursor.close()
        raise
    return cursor


def _new_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    return _executed(_thread_handle(adapter).cursor(), sql)


def _duckdb_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    """The query's rows, written in order to a Parquet file, then read back from it.

    The query runs on a connection of its own (dbt-duckdb's ``handle.cursor()`` is the
    connection's one cursor; its ``.cursor()`` is a sibling) and is over once the file is
    written. The file is read by a small in-memory DuckDB, whose transactions are not the
    database's, and is deleted on close.
    """
    import duckdb

    _remove_orphan_spools()
    spool = tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-")
    path = Path(spool.name, "rows.parquet").as_posix().replace("'", "''")
    try:
        writer = _thread_handle(adapter).cursor().cursor()
        try:
            writer.execute(f"describe {sql}")
            types = {str(row[0]): str(row[1]) for row in writer.fetchall()}
            exact = _parquet_exact(sql, types)
            writer.execute(
                f"copy ({exact}) to '{path}' (format parquet, row_group_size {SPOOL_ROW_GROUP})"
            )
        finally:
            writer.close()
        reader = duckdb.connect(config=SPOOL_READER_CONFIG)
    except BaseException:
        spool.cleanup()
        raise

    def remove_spool() -> None:
        try:
            reader.close()
        finally:
            spool.cleanup()

    try:
        cursor = reader.execute(f"select * from read_parquet('{path}')")
    except BaseException:
        remove_spool()
        raise
    return _ClosingCursor(cursor, remove_spool)


def _remove_orphan_spools() -> None:
    """Delete the spools of syncs that were killed before they could (they hold model rows)."""
    for spool in Path(tempfile.gettempdir()).glob(f"{SPOOL_PREFIX}*-*"):
        pid = spool.name.removeprefix(SPOOL_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            shutil.rmtree(spool, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _parquet_exact(sql: str, types: dict[str, str]) -> str:
    """``sql`` with its 128-bit integers as DECIMAL(38, 0): Parquet would make them doubles."""
    wide = [name for name, type_ in types.items() if type_ in ("HUGEINT", "UHUGEINT")]
    if not wide:
        return sql
    quoted = ['"' + name.replace('"', '""') + '"' for name in wide]
    replaced = ", ".join(f"cast({name} as decimal(38, 0)) as {name}" for name in quoted)
    return f"select * replace ({replaced}) from ({sql})"


SPOOL_ROW_GROUP = 16_384
"""Rows per Parquet row group: DuckDB holds one while writing it (its default, 122,880 rows of
a wide model, does not fit in the sync's memory limit)."""

SPOOL_READER_CONFIG: dict[str, str | bool | int | float | list[str]] = {"threads": 1}
"""Reading a Parquet file in order takes one thread, and a row group at a time in memory."""

SPOOL_PREFIX = "dbt-clarify-rows-"
"""A spool directory is ``<prefix><pid of its sync>-<random>`` in the temporary directory."""


class _ClosingCursor:
    """A cursor that runs ``after_close`` once it is closed."""

    def __init__(self, cursor: Any, after_close: Callable[[], None]) -> None:
        self._cursor = cursor
        self._after_close = after_close

    @property
    def description(self) -> Sequence[Sequence[Any]] | None:
        return self._cursor.description

    def fetchmany(self, size: int) -> Sequence[tuple]:
        return self._cursor.fetchmany(size)

    def close(self) -> None:
        try:
            self._cursor.close()
        finally:
            self._after_close()


def _postgres_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    connection = adapter.connections.get_thread_connection()
    handle = connection.handle
    cursor = handle.cursor(name=f"dbt_clarify_stream_{next(_cursor_ids)}", withhold=True)

    def end_read_transaction() -> None:
        if not connection.transaction_open:
            handle.commit()

    try:
        cursor.execute(sql)
    except Exception:
        handle.rollback()
        raise
    return _ClosingCursor(cursor, end_read_transaction)


class DeclaredCursor:
    """Pages of a cursor declared in a transaction of a connection of the stream's own.

    The stream's connection reads while dbt's connection writes and commits state. Redshift
    materializes the result on its leader node; each FETCH brings at most
    ``REDSHIFT_FETCH_LIMIT`` rows over.
    """

    def __init__(self, adapter: Any, sql: str) -> None:
        from dbt.adapters.contracts.connection import Connection, ConnectionState

        own = Connection(
            type=adapter.type(),
            name=STREAM_CONNECTION_NAME,
            state=ConnectionState.INIT,
            transaction_open=False,
            handle=None,
            credentials=adapter.config.credentials,
        )
        self._handle = type(adapter.connections).open(own).handle
        self._name = f"dbt_clarify_stream_{next(_cursor_ids)}"
        try:
            self._handle.autocommit = False  # the driver begins the transaction a cursor needs
            self._cursor = self._handle.cursor()
            self._cursor.execute(f"declare {self._name} cursor for {sql}")
        except Exception:
            self._handle.close()
            raise
        self.description: Sequence[Sequence[Any]] | None = None

    def fetchmany(self, size: int) -> Sequence[tuple]:
        rows: list[tuple] = []
        while len(rows) < size:
            page = min(size - len(rows), REDSHIFT_FETCH_LIMIT)
            self._cursor.execute(f"fetch forward {page} from {self._name}")
            self.description = self._cursor.description
            fetched = self._cursor.fetchall()
            rows.extend(tuple(row) for row in fetched)
            if len(fetched) < page:
                break
        return rows

    def close(self) -> None:
        try:
            self._handle.rollback()  # a read-only transaction: ends the cursor with it
        finally:
            self._handle.close()


def _redshift_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    return DeclaredCursor(adapter, sql)


class BigQueryRows:
    """A BigQuery query job's rows through the DB-API calls a stream makes.

    The job's result is read page by page (``page_size`` rows per request) as rows are taken.
    """

    def __init__(self, client: Any, sql: str, page_size: int) -> None:
        from google.cloud.bigquery import QueryJobConfig

        job = client.query(sql, job_config=QueryJobConfig(use_legacy_sql=False))
        self._result = job.result(page_size=page_size)
        self._rows: Iterator[Any] = iter(self._result)
        self.description: Sequence[Sequence[Any]] = [
            (field.name, field.field_type) for field in self._result.schema
        ]

    def fetchmany(self, size: int) -> Sequence[tuple]:
        return [tuple(row.values()) for row in itertools.islice(self._rows, size)]

    def close(self) -> None:
        self._rows = iter(())


def _bigquery_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    return BigQueryRows(_thread_handle(adapter), sql, batch_size)


def _databricks_cursor(adapter: Any, sql: str, batch_size: int) -> RowCursor:
    handle = _thread_handle(adapter)
    connector = getattr(handle, "_conn", None)  # dbt-databricks' DatabricksHandle keeps it here
    if connector is None:
        raise RuntimeError(
            f"this dbt-databricks version's connection handle ({type(handle).__name__}) "
            "exposes no SQL connector connection to stream rows from"
        )
    return _executed(connector.cursor(arraysize=batch_size), sql)


OPENERS: dict[str, Callable[[Any, str, int], RowCursor]] = {
    "duckdb": _duckdb_cursor,
    "postgres": _postgres_cursor,
    "redshift": _redshift_cursor,
    "bigquery": _bigquery_cursor,
    "databricks": _databricks_cursor,
}
"""Adapter type -> how a stream opens its cursor; other types get a new cursor of dbt's."""
