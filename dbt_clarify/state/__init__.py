"""Sync state kept in the warehouse, so that any machine continues where the last run stopped."""

from dbt_clarify.state.records import LedgerEntry, RowIssue, RunRecord, Watermark
from dbt_clarify.state.store import StateStore, default_state_schema

__all__ = [
    "LedgerEntry",
    "RowIssue",
    "RunRecord",
    "StateStore",
    "Watermark",
    "default_state_schema",
]
