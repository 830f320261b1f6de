"""The emulator in a child process of its own, as Clarify would be: a benchmark's client and
the emulator then do not compete for one interpreter lock, and the client's CPU is its own."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from dbt_clarify.emulator import EmulatorConfig, serve


def _serve(config: EmulatorConfig, urls: multiprocessing.Queue[str]) -> None:
    serve(config, "127.0.0.1", 0, on_ready=lambda emulator: urls.put(emulator.url))


@contextmanager
def emulator_process(config: EmulatorConfig) -> Iterator[str]:
    """The URL of an emulator serving in a child process; stopped on exit."""
    context = multiprocessing.get_context("spawn")
    urls: multiprocessing.Queue[str] = context.Queue()
    process = context.Process(target=_serve, args=(config, urls), daemon=True)
    process.start()
    try:
        yield urls.get(timeout=60)
    finally:
        if process.pid is not None and process.is_alive():
            os.kill(process.pid, signal.SIGINT)
        process.join(timeout=10)
        if process.is_alive():  # SIGINT is ignored in a process started in the background
            process.terminate()
            process.join()
