"""Read the rows of a sync model that changed since its watermark, batch by batch.

The selection runs inside the warehouse (the dbt package's ``changed_rows`` macro), so only
changed rows leave it; they are streamed through a DB-API cursor, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dbt_clarify.dbt import ModelNode, RowStream, Warehouse
from dbt_clarify.errors import ConfigError
from dbt_clarify.state import Watermark

TRAILING_COLUMNS = 3
"""changed_rows appends _dbt_clarify_superseded, _dbt_clarify_cursor, _dbt_clarify_key."""


@dataclass(frozen=True)
class ChangedRow:
    """One changed row: the requested values, and where it puts the watermark."""

    values: tuple[Any, ...]
    cursor_value: str | None
    key_value: str
    superseded: bool
    """A later selected row has the same key (trimmed, any case): report this one, don't send it."""


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
                    superseded=bool(row[-3]),
                    cursor_value=watermark_text(row[-2]),
                    key_value=row[-1],
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


def read_changed_rows(
    warehouse: Warehouse,
    node: ModelNode,
    columns: Sequence[str],
    cursor: str | None,
    key: str,
    watermark: Watermark | None,
    lookback_seconds: int,
    batch_size: int,
) -> ChangedRows:
    """Stream the model's rows past ``watermark`` (all rows without one), ordered by
    (cursor, key as text), ``columns`` first.

    ``lookback_seconds`` re-reads rows whose cursor is that far behind the watermark (units for a
    numeric cursor), for rows committed late with an older cursor.
    """
    real = {column.name.lower(): column for column in warehouse.columns(node)}
    needed = dict.fromkeys([*columns, key, *([cursor] if cursor else [])])
    missing = [name for name in needed if name.lower() not in real]
    if missing:
        raise ConfigError(
            f"model {node.name} has no column {', '.join(missing)} in {node.relation_name}",
            hint=f"add it to {node.sql_file} and rebuild the model, or change its clarify block",
        )
    cursor_type = real[cursor.lower()].data_type if cursor else None
    sql = warehouse.render(
        "changed_rows",
        relation=node.relation_name,
        columns=list(columns),
        cursor=cursor,
        key=key,
        cursor_type=cursor_type,
        watermark_cursor=watermark.cursor_value if watermark else None,
        watermark_key=watermark.key_value if watermark else None,
        lookback_seconds=lookback_seconds,
    )
    if not isinstance(sql, str):
        raise TypeError("changed_rows must render one statement")
    return ChangedRows(columns, warehouse.stream(sql, batch_size))
