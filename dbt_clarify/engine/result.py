"""The machine-readable results of a sync run and of its plan, written as JSON under dbt's
target path (``clarify_run_results.json`` and ``clarify_plan.json``)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from dbt_clarify.errors import ExitCode

MAX_LISTED_ISSUES = 100
"""Rejected or failed rows listed per model in the result; the state schema keeps them all."""


class RowIssueResult(BaseModel):
    key: str
    status: Literal["rejected", "failed"]
    reason: str
    field: str | None = None


class ModelResult(BaseModel):
    unique_id: str
    name: str
    object: str
    status: Literal["success", "partial", "error", "skipped"] = "success"
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed: int = 0
    deleted: int = 0
    """Records deleted from Clarify because their rows left the model (``on_delete: delete``)."""
    unlinked: int = 0
    """People synced without a company because no company holds their domain."""
    requests: int = 0
    elapsed_s: float = 0.0
    message: str | None = None
    issues: list[RowIssueResult] = Field(default_factory=list)
    issue_counts: dict[str, int] = Field(default_factory=dict)
    """Rejected and failed rows per field at fault (per reason when no field is), all counted."""

    @property
    def written(self) -> int:
        return self.created + self.updated

    def add_issue(self, issue: RowIssueResult) -> None:
        if issue.status == "rejected":
            self.rejected += 1
        else:
            self.failed += 1
        kind = issue.field or issue.reason
        self.issue_counts[kind] = self.issue_counts.get(kind, 0) + 1
        if len(self.issues) < MAX_LISTED_ISSUES:
            self.issues.append(issue)


class RunResult(BaseModel):
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    elapsed_s: float = 0.0
    version: str
    target: str | None = None
    models: list[ModelResult] = Field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        troubled = any(m.rejected or m.failed or m.status == "error" for m in self.models)
        return ExitCode.ROWS_FAILED if troubled else ExitCode.SUCCESS

    def write(self, path: Path) -> None:
        payload = self.model_dump(mode="json")
        payload["exit_code"] = int(self.exit_code)
        _write_json(path, payload)


class EndpointRequests(BaseModel):
    endpoint: str
    """``METHOD /path`` with the object filled in: ``POST /objects/person/records/bulk``."""
    requests: int


class ModelPlan(BaseModel):
    """What a sync of one model would do, worked out without writing anything."""

    unique_id: str
    name: str
    object: str
    status: Literal["planned", "skipped"] = "planned"
    message: str | None = None
    match_on: str | None = None
    read: int = 0
    create: int = 0
    update: int = 0
    create_or_update: int = 0
    """Rows to upsert whose key Clarify holds too many records of this object to look up."""
    skip: int = 0
    """Rows unchanged since they synced (or synced without a company that still is missing)."""
    reject: int = 0
    fail: int = 0
    """Rows whose company Clarify could not be asked about: the sync would fail them too."""
    delete: int = 0
    unlinked: int = 0
    issue_counts: dict[str, int] = Field(default_factory=dict)
    issues: list[RowIssueResult] = Field(default_factory=list)
    """The first rows to reject or fail, with their reasons."""
    requests: list[EndpointRequests] = Field(default_factory=list)
    """Requests the sync would send, per endpoint (retries and split batches not included)."""
    seconds_at_rate_limit: float = 0.0
    """How long the client's pacing takes to send them; latency comes on top."""
    samples: list[dict[str, Any]] = Field(default_factory=list)
    """The first records exactly as the bulk upsert would send them (items of its ``data``)."""

    @property
    def request_total(self) -> int:
        return sum(r.requests for r in self.requests)


class PlanResult(BaseModel):
    """A plan of a sync: per model what it would write, and what that costs."""

    started_at: datetime
    elapsed_s: float = 0.0
    version: str
    target: str | None = None
    rate_limit_per_minute: int = 0
    lookups: int = 0
    """Read requests the plan itself sent (schemas, listing existing records, company lookups)."""
    models: list[ModelPlan] = Field(default_factory=list)

    def write(self, path: Path) -> None:
        _write_json(path, self.model_dump(mode="json"))


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
