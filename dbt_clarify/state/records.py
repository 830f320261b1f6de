"""What the state store keeps per model: the watermark, row issues and the run log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

IssueStatus = Literal["rejected", "failed"]


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
