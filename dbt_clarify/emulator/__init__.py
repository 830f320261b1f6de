"""A faithful local Clarify, served over real HTTP, for tests, benchmarks, demos and CI.

It enforces the API's rules strictly (auth, shapes, unique keys, atomic bulk writes, rate
limits) and can add latency and inject faults, so that a sync which works against it works
against the real API.

The server loads on first use, so the CLI can read its settings without paying for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbt_clarify.emulator.config import FAULT_KINDS, EmulatorConfig

if TYPE_CHECKING:
    from dbt_clarify.emulator.runner import Emulator, serve

__all__ = ["FAULT_KINDS", "Emulator", "EmulatorConfig", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("Emulator", "serve"):
        from dbt_clarify.emulator import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
