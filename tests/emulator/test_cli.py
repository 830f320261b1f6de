"""`dbt-clarify emulator`: prints where it serves, never the key, and stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx

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
