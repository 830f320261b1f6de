"""How the emulator behaves: one mutable settings object, read on every request.

Tests flip fields (fault rate, latency, the [unsure] switches) between calls, so components read
the live object instead of copying values at start. Each [unsure] switch defaults to the
strictest reading of the Clarify API, so a client that passes against the defaults is safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

FAULT_KINDS: tuple[str, ...] = ("429", "500", "502", "503", "drop", "slow", "lost")
"""Injectable faults: a synthetic 429, server errors, a connection dropped before the request
is applied, a response stalled past the client's timeout, and a response lost after the request
was applied."""

FIXED_FIELDS = frozenset({"workspace", "api_key"})
"""Fields that identify the emulated workspace and cannot change while it runs."""


@dataclass
class EmulatorConfig:
    workspace: str = "acme"
    api_key: str = field(default="emulator-key", repr=False)
    latency_ms: float = 0.0
    """Added to every API response."""
    rate_limit_per_minute: int | None = 3000
    """Per endpoint over a rolling 60 s window; None means unlimited."""
    fault_rate: float = 0.0
    """Share of API requests that get a fault chosen from ``faults``."""
    faults: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 30.0
    """How long a "slow" fault stalls before answering."""
    seed: int | None = None
    """Makes the choice of faults reproducible."""
    schema_delay_s: float = 0.3
    """Custom fields appear in GET /schemas (and become writable) after this long."""
    bulk_batch_cap: int | None = 100
    """[unsure] most records per bulk request (25 in older docs, 100 likely, None = no cap)."""
    error_status_as_string: bool = True
    """[unsure] ``errors[].status`` as "422" (newer material) or 422 (older)."""
    retry_after_as_date: bool = False
    """[unsure] Retry-After as an HTTP date instead of seconds."""
    collection_meta_on_match_on: bool = True
    """[unsure] honour the top-level ``meta`` collection strategy on ``match_on`` upserts."""
    legacy_person_fields: bool = False
    """[unsure] person with top-level first_name/last_name/title instead of name{}/job_title."""
    links_next_http: bool = True
    """[unsure] ``links`` with http:// as the live API was seen to send; False gives https://."""

    def __post_init__(self) -> None:
        self.faults = tuple(self.faults)
        self._check()

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply runtime changes all at once, or none if one is invalid (ValueError)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        fixed = FIXED_FIELDS & set(changes)
        if fixed:
            raise ValueError(f"cannot change while running: {', '.join(sorted(fixed))}")
        candidate = replace(self, **changes)
        for f in fields(self):
            setattr(self, f.name, getattr(candidate, f.name))

    def public_view(self) -> dict[str, Any]:
        """Every setting except the API key, for the inspection interface."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}

    def _check(self) -> None:
        if not isinstance(self.workspace, str) or not self.workspace or "/" in self.workspace:
            raise ValueError("workspace must be a slug without '/'")
        if not isinstance(self.api_key, str) or not self.api_key:
            raise ValueError("api_key must not be empty")
        _require_number("latency_ms", self.latency_ms, minimum=0)
        _require_number("slow_seconds", self.slow_seconds, minimum=0)
        _require_number("schema_delay_s", self.schema_delay_s, minimum=0)
        _require_number("fault_rate", self.fault_rate, minimum=0, maximum=1)
        _require_optional_int("rate_limit_per_minute", self.rate_limit_per_minute)
        _require_optional_int("bulk_batch_cap", self.bulk_batch_cap)
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ValueError("seed must be an integer or null")
        bad = [kind for kind in self.faults if kind not in FAULT_KINDS]
        if bad:
            raise ValueError(f"unknown fault(s) {bad}; choose from {', '.join(FAULT_KINDS)}")
        if self.fault_rate > 0 and not self.faults:
            raise ValueError("fault_rate > 0 needs at least one fault kind")
        for name in (
            "error_status_as_string",
            "retry_after_as_date",
            "collection_meta_on_match_on",
            "legacy_person_fields",
            "links_next_http",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false")


def _require_number(name: str, value: Any, *, minimum: float, maximum: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ValueError(f"{name} must be at least {minimum}{upper}")


def _require_optional_int(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer or null")
