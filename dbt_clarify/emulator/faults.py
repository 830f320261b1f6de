"""Which API requests get a fault: a seeded draw, so a failing test run can be replayed."""

from __future__ import annotations

import random
import threading

from dbt_clarify.emulator.config import EmulatorConfig


class FaultPicker:
    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._seed = config.seed
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start the seeded sequence again, as after a restart."""
        with self._lock:
            self._reseed()

    def pick(self) -> str | None:
        """A fault kind with probability ``fault_rate``, else None; follows seed changes."""
        config = self._config
        with self._lock:
            if config.seed != self._seed:
                self._reseed()
            if config.fault_rate <= 0 or not config.faults:
                return None
            if self._rng.random() >= config.fault_rate:
                return None
            return self._rng.choice(config.faults)

    def _reseed(self) -> None:
        self._seed = self._config.seed
        self._rng.seed(self._seed)
