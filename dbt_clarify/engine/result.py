"""The machine-readable result of a sync run, written as JSON under dbt's target path."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

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

    @property
    def written(self) -> int:
        return self.created + self.updated

    def add_issue(self, issue: RowIssueResult) -> None:
        if issue.status == "rejected":
            self.rejected += 1
        else:
            self.failed += 1
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
        """Write atomically, so a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        payload = self.model_dump(mode="json")
        payload["exit_code"] = int(self.exit_code)
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
