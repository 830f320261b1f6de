"""A typed view of dbt results, whatever their source: which node ran, in which invocation, how.

Statuses are dbt's own words: a model is ``success``, ``error`` or ``skipped``; a test
``pass``, ``warn``, ``fail``, ``error`` or ``skipped``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

FAILED_MODEL_STATUSES = frozenset({"error", "skipped"})
"""A model that dbt could not build, or did not build because something upstream failed."""
FAILED_TEST_STATUSES = frozenset({"fail", "error"})
"""A test that found bad rows or could not run; ``warn`` is a pass the project chose to allow."""


@dataclass(frozen=True)
class Invocation:
    """One dbt command run: ``dbt build``, ``dbt test``..., and where its results were read."""

    invocation_id: str | None
    started_at: datetime | None
    """Aware UTC; orders invocations, so that each model is judged by its latest one."""
    source: str
    """Where the results come from, for messages: a file path or the state table."""


@dataclass(frozen=True)
class NodeResult:
    """The outcome of one model or test in one invocation."""

    node_id: str
    status: str
    invocation: Invocation
    message: str | None = None
    model_ids: tuple[str, ...] = ()
    """The sync models a test checks, when the source names them (the recorded rows do);
    empty otherwise, and then found in the manifest."""

    @property
    def resource_type(self) -> str:
        return self.node_id.split(".", 1)[0]

    @property
    def failed(self) -> bool:
        if self.resource_type == "model":
            return self.status in FAILED_MODEL_STATUSES
        if self.resource_type == "test":
            return self.status in FAILED_TEST_STATUSES
        return False


@dataclass(frozen=True)
class DbtResults:
    """Node results from any number of invocations and sources."""

    results: tuple[NodeResult, ...] = ()

    @classmethod
    def of(cls, results: Iterable[NodeResult]) -> DbtResults:
        return cls(tuple(results))

    def __add__(self, other: DbtResults) -> DbtResults:
        return DbtResults(self.results + other.results)
