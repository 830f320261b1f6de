"""Read the rows of a sync model that changed since its watermark, batch by batch.

The selection runs inside the warehouse (the dbt package's ``changed_rows`` macro), so only
changed rows leave it; they are streamed through a DB-API cursor, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from dbt_clarify.dbt import ModelNode, PartedSort, RowStream, Warehouse
from dbt_clarify.state import Watermark

RowCount = Literal["candidates", "unchanged"]

TRAILING_COLUMNS = 6
"""changed_rows appends _dbt_clarify_superseded, _cursor, _key, _hash, _relink and _known."""
CURSOR_COLUMN = "_dbt_clarify_cursor"


@dataclass(frozen=True)
class LedgerFilter:
    """How the per-row ledger narrows the rows read to those worth sending.

    ``schema_hash`` fingerprints Clarify's schema, so a changed schema retries rejected rows; a
    rejected row is otherwise retried until it has ``retry_limit`` attempts.
    """

    schema: str
    model_id: str
    schema_hash: str
    retry_limit: int

    def as_macro_argument(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "model_id": self.model_id,
            "schema_hash": self.schema_hash,
            "retry_limit": self.retry_limit,
        }


@dataclass(slots=True)
class ChangedRow:
    """One changed row: the requested values, and where it puts the watermark.

    Not frozen: a sync builds one per row, and a frozen dataclass's ``__init__`` sets each field
    through ``object.__setattr__``.
    """

    values: tuple[Any, ...]
    cursor: Any
    """The cursor column's value as the warehouse returned it."""
    key_value: str
    superseded: bool
    """A later selected row has the same key (trimmed, any case): report this one, don't send it."""
    row_hash: str
    relink: bool = False
    """Unchanged, but synced without its company last time: send it only if that now exists."""
    known: bool = True
    """The ledger held the key when read, or another row of the model shares it."""

    @property
    def cursor_value(self) -> str | None:
        """The cursor as watermark text; worked out only for the row a checkpoint ends on."""
        return watermark_text(self.cursor)


class ChangedRows:
    """The changed rows of one model, in watermark order. Iterate once; close when done early."""

    def __init__(self, columns: Sequence[str], stream: RowStream) -> None:
        self.columns = list(columns)
        self._stream = stream

    def __iter__(self) -> Iterator[list[ChangedRow]]:
        for batch in self._stream:
            yield [
                ChangedRow(
                    values=tuple(row[:-TRAILING_COLUMNS]),
                    superseded=bool(row[-6]),
                    cursor=row[-5],
                    key_value=row[-4],
                    row_hash=row[-3],
                    relink=bool(row[-2]),
                    known=bool(row[-1]),
                )
                for row in batch
            ]

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> ChangedRows:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def watermark_text(value: Any) -> str | None:
    """A cursor value as text that the warehouse casts back to the same value."""
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class RowSelection:
    """Which rows of a model a sync reads: past the watermark, narrowed by the ledger.

    Each row's content hash covers ``hash_columns`` (the mapped ones) and ``salt`` (the
    mapping's hash, so a changed mapping resends every row). Without ``ledger`` every row past
    the watermark is read (a full refresh), hashed the same way.
    """

    node: ModelNode
    columns: Sequence[str]
    cursor: str | None
    key: str
    cursor_type: str | None
    watermark: Watermark | None
    lookback_seconds: int
    hash_columns: Sequence[str]
    salt: str
    ledger: LedgerFilter | None

    def render(
        self, warehouse: Warehouse, *, count: RowCount | None = None, ordered: bool = True
    ) -> str:
        """The read's SQL; with ``count``, a query of one number instead (see changed_rows)."""
        sql = warehouse.render(
            "changed_rows",
            relation=self.node.relation_name,
            columns=list(self.columns),
            cursor=self.cursor,
            key=self.key,
            cursor_type=self.cursor_type,
            watermark_cursor=self.watermark.cursor_value if self.watermark else None,
            watermark_key=self.watermark.key_value if self.watermark else None,
            lookback_seconds=self.lookback_seconds,
            hash_columns=list(self.hash_columns),
            salt=self.salt,
            ledger=self.ledger.as_macro_argument() if self.ledger else None,
            count=count,
            ordered=ordered,
        )
        if not isinstance(sql, str):
            raise TypeError("changed_rows must render one statement")
        return sql

    def parted(self, warehouse: Warehouse) -> PartedSort | None:
        """The read told apart for a warehouse that ``sorts_in_parts`` of the cursor's range.

        Not for a view: drawing the parts' bounds would run its query twice more.
        """
        if self.cursor is None or self.node.materialized == "view":
            return None
        order_by = warehouse.render("_changed_rows_order")
        if not isinstance(order_by, str):
            raise TypeError("_changed_rows_order must render one expression list")
        return PartedSort(
            unsorted_sql=self.render(warehouse, ordered=False),
            order_by=order_by,
            split_column=CURSOR_COLUMN,
            split_values=f"select {self.cursor} from {self.node.relation_name}",
        )


def read_changed_rows(
    warehouse: Warehouse, selection: RowSelection, batch_size: int
) -> ChangedRows:
    """Stream the selected rows, ordered by (cursor, key as text), ``columns`` first."""
    parted = selection.parted(warehouse) if warehouse.sorts_in_parts else None
    stream = warehouse.stream(selection.render(warehouse), batch_size, parted=parted)
    return ChangedRows(selection.columns, stream)


def count_rows(warehouse: Warehouse, selection: RowSelection, count: RowCount) -> int:
    """How many ``candidates`` the watermark selects, or how many of them are ``unchanged``.

    Without a ledger every candidate is read, so none is unchanged. Counting the candidates
    costs a scan, where counting the unchanged ones hashes and joins as the read does: a sync
    that reads every row takes the candidates less the rows read for the unchanged ones.
    """
    if count == "unchanged" and selection.ledger is None:
        return 0
    rows = warehouse.query(selection.render(warehouse, count=count), holds_rows=True)
    return int(rows[0][0]) if rows else 0
