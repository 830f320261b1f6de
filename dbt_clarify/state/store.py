"""The state tables in the warehouse, read and written through the dbt package's macros.

dbt Cloud jobs, CI runners and containers keep no local disk, so the watermark, the rows that
need another attempt and the run log live in a schema of the warehouse. Every statement is
rendered by a dispatched macro of the dbt package, so each adapter gets its own SQL and quoting.
Times are stored as UTC without a zone and handed back as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from dbt_clarify import __version__
from dbt_clarify.dbt import Warehouse
from dbt_clarify.state.records import LedgerEntry, RowIssue, RunRecord, Watermark

_TROUBLED = ("rejected", "failed")
_LEDGER_COLUMNS = (
    "row_key",
    "status",
    "row_hash",
    "clarify_id",
    "reason",
    "field",
    "schema_hash",
    "run_id",
    "attempts",
    "status_since",
    "last_attempt_at",
)
"""The columns of clarify_sync_rows that ``write_ledger_rows`` takes, model_id aside."""
KEYS_PER_STATEMENT = 500
"""Row keys per IN list or VALUES list, to keep each statement a reasonable size."""
JSON_KEYS_PER_STATEMENT = 10_000
"""The same where ``write_ledger_rows`` takes each column as one JSON literal (DuckDB and
PostgreSQL): a checkpoint then fits one statement, and each statement has a cost of its own
(four statements of 500 rows cost 60% more CPU than one of 2,000 on a first sync, twice as much
on a re-sync: benchmarks/ledger_write.py)."""
_JSON_COLUMN_ADAPTERS = ("duckdb", "postgres")


@dataclass(frozen=True)
class _Earlier:
    """What the ledger held for a key before this write."""

    status: str
    attempts: int
    status_since: str | None
    clarify_id: str | None


def default_state_schema(target_schema: str) -> str:
    """The state schema used when the settings name none: beside the target's own schema."""
    return f"{target_schema}_clarify"


class StateStore:
    """One model's sync state, per model id, in ``schema`` of the warehouse."""

    def __init__(self, warehouse: Warehouse, schema: str) -> None:
        self._warehouse = warehouse
        self._schema = schema
        self._ensured = False
        self._keys_per_statement = (
            JSON_KEYS_PER_STATEMENT
            if warehouse.adapter_type in _JSON_COLUMN_ADAPTERS
            else KEYS_PER_STATEMENT
        )

    @property
    def schema(self) -> str:
        return self._schema

    def ensure(self) -> None:
        """Create the schema and tables if missing; once per store."""
        if not self._ensured:
            self._warehouse.execute(self._render("state_tables_ddl"))
            self._ensured = True

    def transaction(self) -> AbstractContextManager[None]:
        """Writes made in the block land together: a checkpoint's ledger rows and its watermark."""
        self.ensure()  # outside: a rolled-back block must not take the tables with it
        return self._warehouse.transaction("writing sync state")

    def watermark(self, model_id: str) -> Watermark | None:
        self.ensure()
        rows = self._warehouse.query(self._render("select_watermark", model_id=model_id))
        if not rows:
            return None
        mapping_hash, cursor_value, key_value = rows[0]
        return Watermark(cursor_value=cursor_value, key_value=key_value, mapping_hash=mapping_hash)

    def save_watermark(
        self, model_id: str, watermark: Watermark, cursor_type: str | None = None
    ) -> None:
        """Move the watermark forward (never back); ``cursor_type`` compares cursors as values."""
        self.ensure()
        self._warehouse.execute(
            self._render(
                "save_watermark",
                model_id=model_id,
                mapping_hash=watermark.mapping_hash,
                cursor_value=watermark.cursor_value,
                key_value=watermark.key_value,
                updated_at=_utc_text(_now()),
                cursor_type=cursor_type,
            ),
            holds_rows=True,
        )

    def record_rows(self, model_id: str, run_id: str, entries: Sequence[LedgerEntry]) -> None:
        """Write the ledger entries of rows a sync settled, replacing earlier ones by row key.

        Only keys the ledger may hold (``known``) are looked for: a first sync of a large model
        would otherwise scan the growing ledger once per statement.

        A synced row starts counting attempts afresh; a rejected or failed one counts up from
        its previous attempts and keeps the Clarify id of its last synced version.
        """
        self.ensure()
        latest = {entry.row_key: entry for entry in entries}
        now = _utc_text(_now())
        for row_keys in self._chunks(list(latest)):
            troubled = [k for k in row_keys if latest[k].status in _TROUBLED and latest[k].known]
            earlier = self._earlier(model_id, troubled) if troubled else {}
            rows = []
            for row_key in row_keys:
                entry = latest[row_key]
                before = earlier.get(row_key)
                continuing = before is not None and before.status == entry.status
                rows.append(  # in _LEDGER_COLUMNS order
                    (
                        row_key,
                        entry.status,
                        entry.row_hash,
                        entry.clarify_id or (before.clarify_id if before else None),
                        entry.reason,
                        entry.field,
                        entry.schema_hash,
                        run_id,
                        0
                        if entry.status not in _TROUBLED
                        else (before.attempts if before and before.status in _TROUBLED else 0) + 1,
                        before.status_since if continuing and before else now,
                        now,
                    )
                )
            # A tuple a row, turned into columns at once: half the cost of a dict a row.
            columns = dict(zip(_LEDGER_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
            known_keys = [row_key for row_key in row_keys if latest[row_key].known]
            self._warehouse.execute(
                self._render(
                    "write_ledger_rows",
                    model_id=model_id,
                    columns=columns,
                    known_keys=known_keys,
                    uniform=uniform_columns(columns),
                ),
                holds_rows=True,
            )

    def _earlier(self, model_id: str, row_keys: list[str]) -> dict[str, _Earlier]:
        rows = self._warehouse.query(
            self._render("select_row_issues", model_id=model_id, row_keys=row_keys),
            holds_rows=True,
        )
        # Ordered by key, then attempt time: the last row of a key is its latest.
        return {
            row[0]: _Earlier(
                status=row[1],
                attempts=int(row[4]),
                status_since=_utc_text(row[5]),
                clarify_id=row[6],
            )
            for row in rows
        }

    def issues(self, model_id: str) -> list[RowIssue]:
        """The model's rejected and failed rows, ordered by row key."""
        self.ensure()
        rows = self._warehouse.query(self._render("select_row_issues", model_id=model_id))
        return [
            RowIssue(row_key=row_key, status=status, reason=reason or "", field=field)
            for row_key, status, reason, field, *_ in rows
        ]

    def orphans(self, model_id: str, relation: str, key: str) -> list[tuple[str, str]]:
        """(row key, Clarify id) of records this tool synced whose keys left the model."""
        self.ensure()
        rows = self._warehouse.query(
            self._render("select_orphans", model_id=model_id, relation=relation, key=key)
        )
        return [(row_key, clarify_id) for row_key, clarify_id in rows]

    def forget_rows(self, model_id: str, row_keys: Sequence[str]) -> None:
        """Drop the ledger rows of these keys (their Clarify records were deleted)."""
        self.ensure()
        for chunk in self._chunks(list(dict.fromkeys(row_keys))):
            self._warehouse.execute(
                self._render("delete_ledger_rows", model_id=model_id, row_keys=chunk),
                holds_rows=True,
            )

    def record_run(self, run: RunRecord) -> None:
        self.ensure()
        values: dict[str, Any] = {
            "run_id": run.run_id,
            "model_id": run.model_id,
            "started_at": _utc_text(run.started_at),
            "finished_at": _utc_text(run.finished_at),
            "status": run.status,
            "rows_read": run.rows_read,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "rejected": run.rejected,
            "failed": run.failed,
            "requests": run.requests,
            "version": __version__,
        }
        self._warehouse.execute(self._render("insert_sync_run", run=values))

    def runs(self, model_id: str, limit: int = 10) -> list[RunRecord]:
        """The model's latest runs, newest first."""
        self.ensure()
        rows = self._warehouse.query(
            self._render("select_sync_runs", model_id=model_id, limit=limit)
        )
        return [
            RunRecord(
                run_id=run_id,
                model_id=model,
                started_at=_as_utc(started_at),
                finished_at=None if finished_at is None else _as_utc(finished_at),
                status=status,
                rows_read=int(rows_read),
                created=int(created),
                updated=int(updated),
                unchanged=int(unchanged),
                rejected=int(rejected),
                failed=int(failed),
                requests=int(requests),
            )
            for (
                run_id,
                model,
                started_at,
                finished_at,
                status,
                rows_read,
                created,
                updated,
                unchanged,
                rejected,
                failed,
                requests,
                _version,
            ) in rows
        ]

    def reset(self, model_id: str) -> None:
        """Forget the model's watermark, issues and runs: its next sync starts from scratch."""
        self.ensure()
        self._warehouse.execute(self._render("reset_sync_state", model_id=model_id))

    def _render(self, macro: str, **kwargs: Any) -> Any:
        return self._warehouse.render(macro, schema=self._schema, **kwargs)

    def _chunks(self, items: list[str]) -> Iterator[list[str]]:
        size = self._keys_per_statement
        for start in range(0, len(items), size):
            yield items[start : start + size]


def uniform_columns(columns: dict[str, list[Any]]) -> dict[str, Any]:
    """The columns whose values are all the same, each with that value.

    On a first sync eight of a ledger row's eleven columns hold one value for a whole
    checkpoint (status, run, attempts, times, nulls): ``write_ledger_rows`` can then write each
    as one literal instead of a list of copies.
    """
    return {
        name: values[0]
        for name, values in columns.items()
        if values and values.count(values[0]) == len(values)
    }


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _as_utc(value: datetime | str) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _utc_text(value: datetime | str | None) -> str | None:
    """A timestamp as naive-UTC ISO text, the form the state tables store."""
    if value is None:
        return None
    return _as_utc(value).replace(tzinfo=None).isoformat(sep=" ")
