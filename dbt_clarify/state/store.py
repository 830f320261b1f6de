"""The state tables in the warehouse, read and written through the dbt package's macros.

dbt Cloud jobs, CI runners and containers keep no local disk, so the watermark, the rows that
need another attempt and the run log live in a schema of the warehouse. Every statement is
rendered by a dispatched macro of the dbt package, so each adapter gets its own SQL and quoting.
Times are stored as UTC without a zone and handed back as aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from dbt_clarify import __version__
from dbt_clarify.dbt import Warehouse
from dbt_clarify.state.records import RowIssue, RunRecord, Watermark

KEYS_PER_STATEMENT = 500
"""Row keys per IN list or VALUES list, to keep each statement a reasonable size."""


def default_state_schema(target_schema: str) -> str:
    """The state schema used when the settings name none: beside the target's own schema."""
    return f"{target_schema}_clarify"


class StateStore:
    """One model's sync state, per model id, in ``schema`` of the warehouse."""

    def __init__(self, warehouse: Warehouse, schema: str) -> None:
        self._warehouse = warehouse
        self._schema = schema
        self._ensured = False

    def ensure(self) -> None:
        """Create the schema and tables if missing; once per store."""
        if not self._ensured:
            self._warehouse.execute(self._render("state_tables_ddl"))
            self._ensured = True

    def watermark(self, model_id: str) -> Watermark | None:
        self.ensure()
        rows = self._warehouse.query(self._render("select_watermark", model_id=model_id))
        if not rows:
            return None
        mapping_hash, cursor_value, key_value = rows[0]
        return Watermark(cursor_value=cursor_value, key_value=key_value, mapping_hash=mapping_hash)

    def save_watermark(self, model_id: str, watermark: Watermark) -> None:
        self.ensure()
        self._warehouse.execute(
            self._render(
                "save_watermark",
                model_id=model_id,
                mapping_hash=watermark.mapping_hash,
                cursor_value=watermark.cursor_value,
                key_value=watermark.key_value,
                updated_at=_utc_text(_now()),
            )
        )

    def record_issues(self, model_id: str, run_id: str, issues: Sequence[RowIssue]) -> None:
        """Upsert by row key: the latest reason wins, attempts count up from 1."""
        self.ensure()
        latest = {issue.row_key: issue for issue in issues}
        now = _utc_text(_now())
        for row_keys in _chunks(list(latest)):
            earlier = {
                row[0]: (int(row[4]), _utc_text(row[5]))
                for row in self._warehouse.query(
                    self._render("select_row_issues", model_id=model_id, row_keys=row_keys)
                )
            }
            rows = []
            for row_key in row_keys:
                issue = latest[row_key]
                attempts, first_seen_at = earlier.get(row_key, (0, now))
                rows.append(
                    {
                        "row_key": row_key,
                        "status": issue.status,
                        "reason": issue.reason,
                        "field": issue.field,
                        "run_id": run_id,
                        "attempts": attempts + 1,
                        "first_seen_at": first_seen_at,
                        "last_attempt_at": now,
                    }
                )
            self._warehouse.execute(
                [
                    self._render("delete_row_issues", model_id=model_id, row_keys=row_keys),
                    self._render("insert_row_issues", model_id=model_id, rows=rows),
                ]
            )

    def clear_issues(self, model_id: str, row_keys: Sequence[str]) -> None:
        """Forget the issues of rows that have now synced."""
        self.ensure()
        for chunk in _chunks(list(dict.fromkeys(row_keys))):
            self._warehouse.execute(
                self._render("delete_row_issues", model_id=model_id, row_keys=chunk)
            )

    def issues(self, model_id: str) -> list[RowIssue]:
        """The model's rejected and failed rows, ordered by row key."""
        self.ensure()
        rows = self._warehouse.query(self._render("select_row_issues", model_id=model_id))
        return [
            RowIssue(row_key=row_key, status=status, reason=reason or "", field=field)
            for row_key, status, reason, field, *_ in rows
        ]

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


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), KEYS_PER_STATEMENT):
        yield items[start : start + KEYS_PER_STATEMENT]
