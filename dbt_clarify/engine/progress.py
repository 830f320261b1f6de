"""How the sync engine reports progress without knowing who is watching.

The engine calls a ``Reporter``; the CLI passes one that draws rich progress bars or prints JSON
lines, a library user may pass their own, and ``SilentReporter`` ignores everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dbt_clarify.engine.result import ModelResult


class Reporter(Protocol):
    def model_started(self, model: str, object_name: str) -> None: ...

    def rows_done(self, model: str, rows: int) -> None:
        """``rows`` more rows of ``model`` were read and handled (sent, skipped or rejected)."""

    def model_finished(self, result: ModelResult) -> None: ...

    def warning(self, message: str) -> None: ...


class SilentReporter:
    """A reporter for library use that reports nothing."""

    def model_started(self, model: str, object_name: str) -> None:
        pass

    def rows_done(self, model: str, rows: int) -> None:
        pass

    def model_finished(self, result: ModelResult) -> None:
        pass

    def warning(self, message: str) -> None:
        pass
