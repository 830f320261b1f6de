"""Error messages about a sync-model block: one line naming the model, its file and the key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dbt_clarify.errors import ConfigError


@dataclass(frozen=True)
class BlockLocation:
    """Where a block lives, so every message can point the user at the line to fix."""

    model: str
    file: str | None
    block_key: str

    @property
    def where(self) -> str:
        return f"{self.model} ({self.file})" if self.file else self.model

    def error(self, key: str | None, problem: str, hint: str | None = None) -> ConfigError:
        """A ConfigError reading ``model (file): block_key.key: problem``."""
        path = f"{self.block_key}.{key}" if key else self.block_key
        return ConfigError(f"{self.where}: {path}: {problem}", hint=hint)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate (ignoring case), or ``""``."""
    by_folded = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), by_folded, n=1, cutoff=0.6)
    return f"; did you mean '{by_folded[close[0]]}'?" if close else ""


def describe(value: Any) -> str:
    """A value's kind in the words of YAML, for "expected X, got Y" messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def listing(values: Iterable[str], limit: int = 20) -> str:
    """Comma-separated values, shortened so a hint stays one readable line."""
    items = list(values)
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items)} in all)"
