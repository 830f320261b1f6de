"""A faithful local Clarify, served over real HTTP, for tests, benchmarks, demos and CI.

It enforces the API's rules strictly (auth, shapes, unique keys, atomic bulk writes, rate
limits) and can add latency and inject faults, so that a sync which works against it works
against the real API.
"""

from dbt_clarify.emulator.config import FAULT_KINDS, EmulatorConfig
from dbt_clarify.emulator.runner import Emulator, serve

__all__ = ["FAULT_KINDS", "Emulator", "EmulatorConfig", "serve"]
