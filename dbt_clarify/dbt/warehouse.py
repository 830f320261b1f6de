"""A live warehouse connection: render dbt_clarify macros, run their SQL, stream rows.

Statements go through dbt's connection manager, so transactions follow each adapter's rules.
Rows are streamed through a DB-API cursor of their own with ``fetchmany``, never through
agate, so memory stays flat and state can be written between batches:

- DuckDB: a second native connection to the same database (dbt's cursor is its connection's
  only one, and a new query on it would end the stream);
- PostgreSQL: a named server-side cursor declared WITH HOLD, which survives the commits of
  state writes made while it is open;
- others: a new cursor of the adapter's connection.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dbt_clarify.dbt.nodes import ColumnInfo, ModelNode
from dbt_clarify.dbt.runner import one_line
from dbt_clarify.errors import ConfigError, DbtClarifyError, WarehouseError

_QUERY_HINT = "see dbt's log file (logs/dbt.log) for the statement and the full error"
_stream_ids = itertools.count(1)


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


class RowStream:
    """The rows of one query, batch by batch. Iterate once; closes itself when exhausted."""

    def __init__(
        self, cursor: Any, batch_size: int, on_close: Callable[[], None] | None = None
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._cursor = cursor
        self._batch_size = batch_size
        self._on_close = on_close
        self._closed = False
        # Fetch before reading the description: psycopg2 fills a named cursor's on first fetch.
        self._first = self._fetch()
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
            if self._on_close is not None:
                self._on_close()

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
        self._manifest = manifest
        self._package = package
        self._streams: list[RowStream] = []
        self.adapter_type: str = adapter.type()

    def render(self, macro: str, **kwargs: Any) -> str | list[str]:
        """The SQL that the package's (dispatched) ``macro`` returns for these arguments."""
        try:
            rendered = self._adapter.execute_macro(
                macro, macro_resolver=self._manifest, project=self._package, kwargs=kwargs
            )
        except Exception as error:
            if "could not find a macro" in str(error):
                raise ConfigError(
                    f"the dbt package {self._package} has no macro {macro}",
                    hint=(
                        f"add the {self._package} package to packages.yml, run `dbt deps`, "
                        "and keep it at the version of the dbt-clarify Python package"
                    ),
                ) from error
            raise ConfigError(
                f"{self._package}.{macro} failed to render: {one_line(error)}",
                hint=f"check any project macro that overrides {macro} for this adapter",
            ) from error
        if isinstance(rendered, str):
            return rendered.strip()
        return [str(statement).strip() for statement in rendered]

    def execute(self, sql: str | Sequence[str]) -> None:
        """Run statements (DDL, DML) in one transaction and commit them."""
        statements = [sql] if isinstance(sql, str) else list(sql)
        with self._transaction("running a statement"):
            for statement in statements:
                self._adapter.connections.add_query(statement, auto_begin=False)

    def query(self, sql: str) -> list[tuple]:
        """All rows of a small query."""
        with self._transaction("running a query"):
            _, cursor = self._adapter.connections.add_query(sql, auto_begin=False)
            return list(cursor.fetchall())

    def stream(self, sql: str, batch_size: int) -> RowStream:
        """The rows of a query of any size, fetched ``batch_size`` rows at a time."""
        handle = self._adapter.connections.get_thread_connection().handle
        with _warehouse_errors("starting a query"):
            if self.adapter_type == "postgres":
                stream = self._postgres_stream(handle, sql, batch_size)
            else:
                # DuckDB: dbt's cursor is its connection itself; .cursor() opens a sibling.
                cursor = (
                    handle.cursor().cursor() if self.adapter_type == "duckdb" else handle.cursor()
                )
                try:
                    cursor.execute(sql)
                    stream = RowStream(cursor, batch_size)
                except Exception:
                    cursor.close()
                    raise
        self._streams = [*(open_ for open_ in self._streams if not open_.closed), stream]
        return stream

    def _postgres_stream(self, handle: Any, sql: str, batch_size: int) -> RowStream:
        cursor = handle.cursor(name=f"dbt_clarify_stream_{next(_stream_ids)}", withhold=True)
        connection = self._adapter.connections.get_thread_connection()

        def end_read_transaction() -> None:
            if not connection.transaction_open:
                handle.commit()

        try:
            cursor.execute(sql)
            return RowStream(cursor, batch_size, on_close=end_read_transaction)
        except Exception:
            handle.rollback()
            raise

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
        with self._transaction(f"reading the columns of {node.relation_name}"):
            found = self._adapter.get_columns_in_relation(relation)
        if not found:
            raise ConfigError(
                f"model {node.name} has no table {node.relation_name} in the warehouse",
                hint=f"build it first: `dbt build --select {node.name}`",
            )
        return [ColumnInfo(name=column.name, data_type=column.dtype) for column in found]

    def close(self) -> None:
        """Close the streams still open; the connection itself is dbt's to release."""
        for stream in self._streams:
            stream.close()
        self._streams.clear()

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[None]:
        connections = self._adapter.connections
        with _warehouse_errors(action):
            connection = connections.get_thread_connection()
            if not connection.transaction_open:
                connections.begin()
            try:
                yield
            except BaseException:
                connections.rollback_if_open()
                raise
            if connection.transaction_open:  # a dbt macro in the block may have committed
                connections.commit()
