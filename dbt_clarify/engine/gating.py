"""Keep dbt's failures out of Clarify: skip a model whose latest build or tests failed.

Each model is judged by the latest dbt invocation that built or tested it, across every source
of results: a failed build, a model dbt skipped after an upstream failure, or a failed test of
the model skips it with a reason. A model no invocation mentions is kept: there is nothing
against it. ``--ignore-dbt-results`` turns the gate off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from dbt_clarify.dbt import ModelNode
from dbt_clarify.dbt_results import DbtResults, Invocation, NodeResult

MAX_NAMED_TESTS = 3
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SkippedModel:
    node: ModelNode
    reason: str

    @property
    def warning(self) -> str:
        """One line for the user: which model, why, and what to do."""
        return (
            f"{self.node.name} skipped: {self.reason}; fix it and rebuild, "
            "or sync it anyway with --ignore-dbt-results"
        )


@dataclass(frozen=True)
class GateDecision:
    kept: list[ModelNode]
    skipped: list[SkippedModel]

    def keeps(self, node: ModelNode) -> bool:
        return any(kept.unique_id == node.unique_id for kept in self.kept)


def gate(
    models: Sequence[ModelNode],
    results: DbtResults,
    tested_models: Mapping[str, Sequence[str]],
) -> GateDecision:
    """Split ``models`` into those to sync and those to skip, in their order.

    ``tested_models`` maps a test's unique_id to the models it checks (from the manifest), for
    sources that do not name them, such as ``run_results.json``.
    """
    evidence = _results_by_model(results, tested_models)
    kept: list[ModelNode] = []
    skipped: list[SkippedModel] = []
    for node in models:
        reason = _failure(evidence.get(node.unique_id, []))
        if reason is None:
            kept.append(node)
        else:
            skipped.append(SkippedModel(node, reason))
    return GateDecision(kept, skipped)


def _results_by_model(
    results: DbtResults, tested_models: Mapping[str, Sequence[str]]
) -> dict[str, list[NodeResult]]:
    by_model: dict[str, list[NodeResult]] = {}
    for result in results.results:
        if result.model_ids:
            subjects: Sequence[str] = result.model_ids
        elif result.resource_type == "model":
            subjects = (result.node_id,)
        else:
            subjects = tested_models.get(result.node_id, ())
        for model_id in subjects:
            by_model.setdefault(model_id, []).append(result)
    return by_model


def _failure(results: list[NodeResult]) -> str | None:
    """Why the latest invocation among ``results`` failed the model, or None if it did not."""
    if not results:
        return None
    latest_key = _key(max((r.invocation for r in results), key=_started_at))
    in_latest = [r for r in results if _key(r.invocation) == latest_key]
    # One result per node: an invocation read from two sources lists each node twice.
    failed = list({r.node_id: r for r in in_latest if r.failed}.values())
    if not failed:
        return None
    # Read from two sources, one invocation is named after the first (dbt's own file).
    latest = in_latest[0].invocation
    when = f"started {latest.started_at:%Y-%m-%d %H:%M} UTC, " if latest.started_at else ""
    where = f"in the latest dbt invocation ({when}{latest.source})"
    own = next((r for r in failed if r.resource_type == "model"), None)
    if own is not None and own.status == "skipped":
        return f"dbt skipped it {where} because something upstream failed"
    if own is not None:
        return f"dbt failed to build it {where}: {_first_line(own.message)}"
    if len(failed) == 1:
        test = failed[0]
        return f"its test {_test_name(test.node_id)} failed {where}: {_first_line(test.message)}"
    names = ", ".join(_test_name(r.node_id) for r in failed[:MAX_NAMED_TESTS])
    more = f" and {len(failed) - MAX_NAMED_TESTS} more" if len(failed) > MAX_NAMED_TESTS else ""
    return f"{len(failed)} of its tests failed {where}: {names}{more}"


def _key(invocation: Invocation) -> tuple[str | None, str | None]:
    """One invocation, whichever source it was read from (the hook and the file agree on ids)."""
    if invocation.invocation_id:
        return (invocation.invocation_id, None)
    return (None, invocation.source)


def _started_at(invocation: Invocation) -> datetime:
    return invocation.started_at or _NEVER


def _test_name(node_id: str) -> str:
    """``test.<package>.<name>.<hash>`` -> name."""
    parts = node_id.split(".")
    return parts[2] if len(parts) > 2 else node_id


def _first_line(message: str | None) -> str:
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    return lines[0] if lines else "no message"
