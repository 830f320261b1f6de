"""``status``: where each sync model stands, read from the state kept in the warehouse.

Per model: the watermark (and whether the block changed since, which resends every row), the
last run with its counts, and the rows Clarify or the local checks refused, with the reasons.
No Clarify credentials are needed: everything comes from the warehouse.
"""

from __future__ import annotations

from pydantic import BaseModel

from dbt_clarify.dbt import ModelNode
from dbt_clarify.engine.result import RowIssueResult
from dbt_clarify.engine.scope import ModelScope, load_scope
from dbt_clarify.spec import SyncSpec
from dbt_clarify.state import RunRecord, StateStore


class WatermarkStatus(BaseModel):
    cursor: str | None
    """The cursor value of the last row settled; None for a model synced without a cursor."""
    key: str
    """Its primary key: rows sharing that cursor value are ordered by key."""
    block_changed: bool
    """The block changed since this watermark was saved: the next sync resends every row."""


class ModelStatus(BaseModel):
    model: str
    unique_id: str
    object: str
    watermark: WatermarkStatus | None = None
    last_run: RunRecord | None = None
    rejected: int = 0
    failed: int = 0
    issues: list[RowIssueResult]
    """Every row refused or undelivered, ordered by key."""


class StatusReport(BaseModel):
    target: str
    state_schema: str
    models: list[ModelStatus]


def read_status(scope: ModelScope) -> StatusReport:
    """The sync state of each selected sync model."""
    scoped = load_scope(scope)
    models: list[ModelStatus] = []
    if scoped.models:
        with scoped.project.connect() as warehouse:
            state = StateStore(warehouse, scoped.state_schema)
            models = [_model_status(state, node, spec) for node, spec in scoped.models]
    return StatusReport(
        target=scoped.project.target_name, state_schema=scoped.state_schema, models=models
    )


def _model_status(state: StateStore, node: ModelNode, spec: SyncSpec) -> ModelStatus:
    watermark = state.watermark(node.unique_id)
    runs = state.runs(node.unique_id, limit=1)
    issues = [
        RowIssueResult(key=i.row_key, status=i.status, reason=i.reason, field=i.field)
        for i in state.issues(node.unique_id)
    ]
    return ModelStatus(
        model=node.name,
        unique_id=node.unique_id,
        object=spec.object,
        watermark=None
        if watermark is None
        else WatermarkStatus(
            cursor=watermark.cursor_value,
            key=watermark.key_value,
            block_changed=watermark.mapping_hash != spec.mapping_hash(),
        ),
        last_run=runs[0] if runs else None,
        rejected=sum(i.status == "rejected" for i in issues),
        failed=sum(i.status == "failed" for i in issues),
        issues=issues,
    )
