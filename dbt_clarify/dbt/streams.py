"""A cursor over one query's rows for each warehouse driver, fetched a batch at a time.

Rows never go through agate (slow, and all in memory), and a stream must stay readable while
the sync writes state on dbt's connection between batches, so each driver needs its own way:

- DuckDB: a second native connection to the same database (dbt's cursor is its connection's
  only one, and a new query on it would end the stream);
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
from collections.abc import Callable, Iterator, Sequence
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
    # dbt-duckdb's handle.cursor() is the connection's one cursor; its .cursor() is a sibling.
    return _executed(_thread_handle(adapter).cursor().cursor(), sql)


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
