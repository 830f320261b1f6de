"""``reset``: forget the sync state of chosen models, so that their next sync resends every row.

The watermark, the per-row state and the run log of each model go; Clarify's records stay, and
the next sync matches them again through ``match_on`` instead of duplicating them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dbt_clarify.engine.scope import ModelScope, load_scope
from dbt_clarify.errors import ConfigError
from dbt_clarify.state import StateStore


@dataclass(frozen=True)
class ForgottenModel:
    """What was forgotten about one model."""

    model: str
    unique_id: str
    had_watermark: bool
    issues: int
    """Rejected or failed rows it had on record."""


def reset_state(
    scope: ModelScope, confirm: Callable[[Sequence[str]], bool]
) -> list[ForgottenModel] | None:
    """Forget the state of the selected sync models once ``confirm`` (given their names)
    agrees; None when it does not. Raises ConfigError when the selection holds no sync model."""
    scoped = load_scope(scope)
    if not scoped.models:
        raise ConfigError(
            "the selection holds no sync model: nothing to reset",
            hint="select models tagged clarify, e.g. `--select clarify_people`",
        )
    if not confirm([node.name for node, _ in scoped.models]):
        return None
    forgotten = []
    with scoped.project.connect() as warehouse:
        state = StateStore(warehouse, scoped.state_schema)
        for node, _ in scoped.models:
            had_watermark = state.watermark(node.unique_id) is not None
            issues = len(state.issues(node.unique_id))
            state.reset(node.unique_id)
            forgotten.append(ForgottenModel(node.name, node.unique_id, had_watermark, issues))
    return forgotten
