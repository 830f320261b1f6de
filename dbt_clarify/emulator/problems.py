"""Error answers in Clarify's JSON:API form: ``{"errors": [{status, title, detail, source}]}``.

Handlers raise ``ApiError`` with every problem they found, so that one bulk answer lists all the
bad records at once, as the real API does, instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, pointing at the offending part of the body (``pointer``,
    a JSON pointer) or of the query string (``parameter``)."""

    status: int
    detail: str
    pointer: str | None = None
    parameter: str | None = None

    @property
    def title(self) -> str:
        return "Invalid input" if self.status == 422 else HTTPStatus(self.status).phrase

    def to_json(self, *, status_as_string: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "status": str(self.status) if status_as_string else self.status,
            "title": self.title,
            "detail": self.detail,
        }
        if self.pointer is not None:
            item["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            item["source"] = {"parameter": self.parameter}
        return item


class ApiError(Exception):
    """Ends a request with an error status and the problems behind it."""

    def __init__(self, problems: Sequence[Problem], status: int | None = None) -> None:
        super().__init__("; ".join(p.detail for p in problems))
        self.problems = tuple(problems)
        self.status = status if status is not None else combined_status(self.problems)

    @classmethod
    def one(cls, status: int, detail: str, pointer: str | None = None) -> ApiError:
        return cls([Problem(status, detail, pointer)])


def combined_status(problems: Sequence[Problem]) -> int:
    """The status of an answer listing several problems: theirs if they agree, else 422."""
    statuses = {p.status for p in problems}
    if len(statuses) == 1:
        return statuses.pop()
    return 422 if 422 in statuses else max(statuses)


def error_body(problems: Sequence[Problem], *, status_as_string: bool) -> dict[str, Any]:
    return {"errors": [p.to_json(status_as_string=status_as_string) for p in problems]}
