"""`dbt-clarify emulator`: prints where it serves, never the key, and stops on Ctrl-C."""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys

import httpx

from dbt_clarify.emulator import EmulatorConfig, serve
from dbt_clarify.emulator.runner import Emulator
from dbt_clarify.heap import YOUNG_COLLECTION_ALLOCATIONS

COMMAND = [sys.executable, "-c", "from dbt_clarify.cli.emulator import emulator; emulator()"]
SECRET = "cli-secret-key-123"


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_serves_with_the_key_from_the_environment_until_interrupted() -> None:
    env = {**os.environ, "CLARIFY_API_KEY": SECRET}
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--workspace", "demo", "--rate-limit", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test run started in the background ignores SIGINT, and so would
        # the emulator, inheriting that.
        preexec_fn=_interruptible,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url is not None, line
        assert "demo" in line
        base = f"{url[0]}/v1/workspaces/demo"
        ok = httpx.get(f"{base}/schemas", headers={"Authorization": f"api-key {SECRET}"})
        assert ok.status_code == 200
        assert "X-RateLimit-Limit" not in ok.headers
        default_key = httpx.get(
            f"{base}/schemas", headers={"Authorization": "api-key emulator-key"}
        )
        assert default_key.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert SECRET not in line + out + err


def test_unknown_fault_is_a_usage_error() -> None:
    result = subprocess.run(
        [*COMMAND, "--port", "0", "--faults", "429,meteor"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "meteor" in result.stderr


def test_a_serving_process_collects_young_objects_rarely_and_as_before_once_stopped(
    gc_thresholds: tuple[int, ...],
) -> None:
    assert gc_thresholds[0] < YOUNG_COLLECTION_ALLOCATIONS
    while_serving: list[tuple[int, ...]] = []

    def answer_then_stop(emulator: Emulator) -> None:
        headers = {"Authorization": f"api-key {SECRET}"}
        ok = httpx.get(f"{emulator.url}/v1/workspaces/demo/schemas", headers=headers)
        assert ok.status_code == 200
        while_serving.append(gc.get_threshold())
        raise KeyboardInterrupt  # as Ctrl-C would

    serve(EmulatorConfig(workspace="demo", api_key=SECRET), "127.0.0.1", 0, answer_then_stop)
    assert while_serving == [(YOUNG_COLLECTION_ALLOCATIONS, *gc_thresholds[1:])]
    assert gc.get_threshold() == gc_thresholds


def test_an_emulator_in_a_thread_leaves_its_host_process_collector_alone(
    gc_thresholds: tuple[int, ...],
) -> None:
    with Emulator(EmulatorConfig()) as emulator:
        assert httpx.get(f"{emulator.url}/_emulator/stats").status_code == 200
        assert gc.get_threshold() == gc_thresholds
