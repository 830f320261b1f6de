"""A cursor over one query's rows for each warehouse driver, fetched a batch at a time.

Rows never go through agate (slow, and all in memory), and a stream must stay readable while
the sync writes state on dbt's connection between batches, so each driver needs its own way:

- DuckDB: the rows are spooled to Parquet at once and read back by a DuckDB of the stream's
  own. A result read while the sync writes state would hold a transaction open for the whole
  sync, and DuckDB would keep every version of the state rows written meanwhile; within a
  memory limit (see ``duckdb_limits``) each write then costs more than the last. Under that
  limit a large read is sorted in parts (``PartedSort``);
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
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PartedSort:
    """A sorted read told apart, so that a DuckDB spool can sort it a part at a time.

    Sorting a whole read at once carries every column through the sort, which spills to disk
    under the sync's memory limit. Instead, each row gets the part of ``split_column``'s range
    it falls in (NULLs first), the rows are spooled unsorted, one file per part, and each part
    is sorted by ``order_by`` as it is read: the same order, when ``order_by`` starts with
    ``split_column``, without the spill.
    """

    unsorted_sql: str
    """The read without its ORDER BY."""
    order_by: str
    """The read's ORDER BY, over its output columns, NULLs of ``split_column`` first."""
    split_column: str
    """The output column the order starts with."""
    split_values: str
    """A query of that column's values in the whole model (one column), to draw the bounds from."""


def open_row_cursor(
    adapter: Any, sql: str, batch_size: int, parted: PartedSort | None = None
) -> RowCursor:
    """Run ``sql`` on the adapter's warehouse and return a cursor over its rows.

    ``batch_size`` sizes the pages of drivers that fetch by pages. ``description`` may stay
    empty until the first ``fetchmany``. ``parted``: the same read, for a DuckDB spool to sort
    in parts; other drivers run ``sql``.
    """
    if adapter.type() == "duckdb":
        return _duckdb_cursor(adapter, sql, batch_size, parted)
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


def _duckdb_cursor(
    adapter: Any, sql: str, batch_size: int, parted: PartedSort | None = None
) -> RowCursor:
    """The query's rows, written in order to a Parquet file, then read back from it.

    The query runs on a connection of its own (dbt-duckdb's ``handle.cursor()`` is the
    connection's one cursor; its ``.cursor()`` is a sibling) and is over once the file is
    written. The file is read by a small in-memory DuckDB, whose transactions are not the
    database's, and is deleted on close. With ``parted``, a model of at least two parts'
    worth of rows is spooled a file per part instead (see ``PartedSort``).
    """
    import duckdb

    _remove_orphan_spools()
    spool = tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-")
    directory = Path(spool.name)
    try:
        writer = _thread_handle(adapter).cursor().cursor()
        try:
            writer.execute(f"describe {sql}")
            types = {str(row[0]): str(row[1]) for row in writer.fetchall()}
            config = {**SPOOL_READER_CONFIG, "temp_directory": str(directory / "sorting")}
            parts = _part_count(writer, parted) if parted is not None else 1
            if parted is not None and parts > 1:
                writer.execute(f"set partitioned_write_flush_threshold = {PART_FLUSH_ROWS}")
                writer.execute(_parted_copy(parted, types, parts, directory / "parts"))
                # The parts are sorted by the reader: as the database would sort them.
                writer.execute("select current_setting('default_collation')")
                (collation,) = writer.fetchone()
                if collation:
                    config["default_collation"] = collation
            else:
                path = _sql_path(directory / "rows.parquet")
                writer.execute(
                    f"copy ({_parquet_exact(sql, types)}) to '{path}'"
                    f" (format parquet, row_group_size {SPOOL_ROW_GROUP})"
                )
        finally:
            writer.close()
        reader = duckdb.connect(config=config)
    except BaseException:
        spool.cleanup()
        raise

    def remove_spool() -> None:
        try:
            reader.close()
        finally:
            spool.cleanup()

    try:
        if parted is not None and parts > 1:
            cursor: RowCursor = _PartsCursor(reader, directory / "parts", parted.order_by, types)
        else:
            path = _sql_path(directory / "rows.parquet")
            cursor = reader.execute(f"select * from read_parquet('{path}')")
    except BaseException:
        remove_spool()
        raise
    return _ClosingCursor(cursor, remove_spool)


def _sql_path(path: Path) -> str:
    """``path`` as the text of a SQL string literal."""
    return path.as_posix().replace("'", "''")


def _part_count(writer: Any, parted: PartedSort) -> int:
    """How many parts of about ``PART_ROWS`` rows the model's rows make, at most ``MAX_PARTS``."""
    writer.execute(f"select count(*) from ({parted.split_values})")
    (rows,) = writer.fetchone()
    return min(MAX_PARTS, math.ceil(rows / PART_ROWS))


def _parted_copy(parted: PartedSort, types: dict[str, str], parts: int, target: Path) -> str:
    """A COPY that spools the unsorted rows a directory per part, numbered in sort order.

    Part 0 holds NULLs of the split column; part i > 0 its values from the (i-1)th bound on.
    The bounds are quantiles of a sample of the model's values, so equal values share a part
    and the parts hold about as many of the model's rows each.
    """
    fractions = ", ".join(f"{i / parts!r}" for i in range(1, parts))
    bounds = (
        f"(select quantile_disc(value, [{fractions}]) from"
        f" (select * from ({parted.split_values}) using sample {PART_SAMPLE_ROWS} rows)"
        " as sampled(value))"
    )
    split = parted.split_column
    part = (
        f"case when {split} is null then 0"
        f" else 1 + coalesce(len([bound for bound in {bounds} if bound <= {split}]), 0) end"
    )
    rows = _parquet_exact(parted.unsorted_sql, types)
    return (
        f"copy (select *, {part} as {PART_COLUMN} from ({rows})) to '{_sql_path(target)}'"
        f" (format parquet, partition_by ({PART_COLUMN}), row_group_size {SPOOL_ROW_GROUP})"
    )


class _PartsCursor:
    """The rows of a parted spool in order: each part's rows sorted as it is reached."""

    def __init__(self, reader: Any, directory: Path, order_by: str, types: dict[str, str]) -> None:
        self._reader = reader
        numbered = {int(path.name.split("=", 1)[1]): path for path in directory.glob("*=*")}
        self._parts = iter([numbered[number] for number in sorted(numbered)])
        self._order_by = order_by
        self._cursor: Any = None
        self.description: Sequence[Sequence[Any]] = [(name, type_) for name, type_ in types.items()]

    def fetchmany(self, size: int) -> Sequence[tuple]:
        rows: list[tuple] = []
        while len(rows) < size:
            if self._cursor is None:
                part = next(self._parts, None)
                if part is None:
                    break
                files = _sql_path(part / "*.parquet")
                self._cursor = self._reader.execute(
                    f"select * from read_parquet('{files}', hive_partitioning = false)"
                    f" order by {self._order_by}"
                )
            wanted = size - len(rows)
            fetched = self._cursor.fetchmany(wanted)
            rows.extend(fetched)
            if len(fetched) < wanted:
                self._cursor = None
        return rows

    def close(self) -> None:
        self._cursor = None


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

SPOOL_READER_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "threads": 1,
    "memory_limit": "32MB",
}
"""Reading a Parquet file in order takes one thread and a row group at a time in memory. A part
is sorted in memory, and spilled beyond 32MB (a part whose rows share one cursor value is as
large as the model): the reader holds its memory for the whole sync, beside the sync's own."""

PART_ROWS = SPOOL_ROW_GROUP
"""About how many of the model's rows a part holds: a row group's worth, as a whole spool's
reader holds at a time."""

MAX_PARTS = 64
"""The most parts a read is spooled in: DuckDB holds rows for each part's open file."""

PART_FLUSH_ROWS = 2_048
"""Rows a part's file gathers before DuckDB writes them, so that all the parts' rows waiting
fit in the sync's memory limit (DuckDB's default is 524,288 rows a part)."""

PART_SAMPLE_ROWS = 65_536
"""Rows of the model sampled to draw the parts' bounds from."""

PART_COLUMN = "_dbt_clarify_part"
"""The column a parted spool is partitioned by: a directory per part, named by its number."""

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
    "postgres": _postgres_cursor,
    "redshift": _redshift_cursor,
    "bigquery": _bigquery_cursor,
    "databricks": _databricks_cursor,
}
"""Adapter type -> how a stream opens its cursor; other types get a new cursor of dbt's. DuckDB,
whose spool may sort in parts, is opened by ``_duckdb_cursor``."""
