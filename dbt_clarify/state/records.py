"""What the state store keeps per model: the watermark, row issues and the run log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

IssueStatus = Literal["rejected", "failed"]
RowStatus = Literal["synced", "unlinked", "rejected", "failed"]
"""``unlinked``: synced, but without the company its domain names (none in Clarify yet)."""


@dataclass(frozen=True)
class Watermark:
    """The (cursor, key) pair of the last row a sync settled, as text that casts back exactly.

    Timestamps are ISO 8601 with microseconds and offset kept, dates YYYY-MM-DD, numbers as
    text. ``mapping_hash`` identifies the mapping that synced up to here: a new one resyncs.
    """

    cursor_value: str | None
    key_value: str
    mapping_hash: str


@dataclass(frozen=True)
class RowIssue:
    """A row Clarify refused (rejected) or that could not be delivered (failed)."""

    row_key: str
    status: IssueStatus
    reason: str
    field: str | None


@dataclass(slots=True)
class LedgerEntry:
    """What a sync learned about one row: the per-row ledger's unit (one per row: not frozen,
    see ``ChangedRow``).

    ``row_hash`` is the content hash computed in the warehouse when the row was read: a synced
    row whose hash is unchanged is not sent again. ``schema_hash`` fingerprints Clarify's schema
    when a row was rejected, so that a changed schema (a field created, an option added) earns
    the row another attempt.
    """

    row_key: str
    status: RowStatus
    row_hash: str | None
    clarify_id: str | None = None
    reason: str | None = None
    field: str | None = None
    schema_hash: str | None = None
    known: bool = True
    """The ledger may already hold this key, so writing the entry replaces; false only when the
    read found no ledger row for it and no other row of the model shares it."""


@dataclass(frozen=True)
class RunRecord:
    """One model's part of one sync run."""

    run_id: str
    model_id: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    failed: int
    requests: int
