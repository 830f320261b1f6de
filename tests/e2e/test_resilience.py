"""Nothing lost, nothing duplicated: 20,000 people under faults, kill -9, Ctrl-C, concurrent runs.

Figures (runs to converge, rows resent per kill) are printed: run with `-s` to see them.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from pydantic import SecretStr

from dbt_clarify.clarify import ClientOptions
from dbt_clarify.clarify.errors import ClarifyUnavailableError
from dbt_clarify.emulator import FAULT_KINDS
from dbt_clarify.engine.options import SyncOptions
from dbt_clarify.engine.runner import run_sync
from dbt_clarify.settings import ClarifySettings
from e2e.conftest import API_KEY, LIFECYCLE_FIELD, WORKSPACE, SyncCli, add_custom_field
from e2e.load_model import (
    SELECT,
    build_load_models,
    compare,
    forget_sync_state,
    load_vars,
)

pytestmark = pytest.mark.dbt

KILL_TRIALS = 6
MAX_RUNS = 8


@pytest.fixture
def load_cli(sync_cli: SyncCli) -> SyncCli:
    build_load_models(sync_cli.dbt_env)
    return sync_cli


def _library_options(cli: SyncCli, version: int) -> SyncOptions:
    return SyncOptions(
        settings=ClarifySettings(SecretStr(API_KEY), WORKSPACE, cli.emulator.url),
        project_dir=cli.dbt_env.project_dir,
        profiles_dir=cli.dbt_env.project_dir,
        select=("tag:clarify_load",),
        vars=load_vars(version),
        client=ClientOptions(
            max_attempts=2, timeout_s=1.0, backoff_initial_s=0.01, backoff_max_s=0.05
        ),
        run_result_path=cli.dbt_env.project_dir / "target" / "chaos.json",
    )


def _runs_to_converge(cli: SyncCli, version: int) -> int:
    for run in range(1, MAX_RUNS + 1):
        try:
            if run_sync(_library_options(cli, version)).exit_code == 0:
                return run
        except ClarifyUnavailableError:
            # Even GET /schemas can outlive two attempts under these faults: the run stops
            # before sending anything, as it would for a user, who runs it again.
            continue
    raise AssertionError(f"no clean run within {MAX_RUNS} runs")


@pytest.mark.slow
@pytest.mark.warehouses("duckdb")  # about the client and the ledger; one warehouse keeps CI short
def test_under_twenty_percent_faults_repeated_runs_converge_exactly(load_cli: SyncCli) -> None:
    emulator = load_cli.emulator
    emulator.config.update(
        {"fault_rate": 0.2, "faults": FAULT_KINDS, "slow_seconds": 1.5, "seed": 7}
    )
    first = _runs_to_converge(load_cli, version=1)
    emulator.config.fault_rate = 0.0
    assert compare(load_cli.dbt_env, emulator).none

    # Every title changes; the changed rows go out under the same faults, nothing stays stale.
    build_load_models(load_cli.dbt_env, version=2)
    emulator.config.fault_rate = 0.2
    second = _runs_to_converge(load_cli, version=2)
    emulator.config.fault_rate = 0.0
    mismatch = compare(load_cli.dbt_env, emulator)
    assert mismatch.none, mismatch
    print(
        f"\nchaos (20% faults, all kinds): first sync converged in {first} runs, "
        f"the full update in {second}"
    )


def _sync_command(cli: SyncCli) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dbt_clarify",
        "sync",
        *SELECT,
        "--vars",
        load_vars(),
        "--project-dir",
        str(cli.dbt_env.project_dir),
    ]


CHECKPOINT_PAUSE = """
import sys, time
from dbt_clarify.state import store

original = store.StateStore.record_rows

def paused(self, *args, **kwargs):
    original(self, *args, **kwargs)
    print("CHECKPOINT", file=sys.stderr, flush=True)
    time.sleep(0.5)  # after the ledger write, before the checkpoint commits: the kill lands here

store.StateStore.record_rows = paused
from dbt_clarify.cli.main import main
sys.argv = ["dbt-clarify", *sys.argv[1:]]
main()
"""


def _kill_during_checkpoint(cli: SyncCli, checkpoints: int) -> None:
    command = [sys.executable, "-c", CHECKPOINT_PAUSE, *_sync_command(cli)[3:]]
    process = subprocess.Popen(
        command,
        env=cli.env(),
        cwd=cli.dbt_env.project_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = 0
    for line in process.stderr:
        seen += line.startswith("CHECKPOINT")
        if seen == checkpoints:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the sync finished before the kill"


def _sync_with_progress(cli: SyncCli, **popen: Any) -> subprocess.Popen[str]:
    """The sync started with its progress as JSON lines on its stdout."""
    return subprocess.Popen(
        [*_sync_command(cli), "--log-format", "json"],
        env=cli.env(),
        cwd=cli.dbt_env.project_dir,
        stdout=subprocess.PIPE,
        text=True,
        **popen,
    )


def _kill_while_sending(cli: SyncCli, seconds: float) -> bool:
    """SIGKILL the sync ``seconds`` after its first model starts sending (past dbt's start)."""
    process = _sync_with_progress(cli, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    for line in process.stdout:
        if '"model_started"' in line:
            break
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    return process.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.warehouses("duckdb")  # the slowest test: one warehouse keeps CI short
@pytest.mark.timeout(1800)
def test_kill_9_at_random_moments_then_rerun_holds_exactly_the_model(load_cli: SyncCli) -> None:
    emulator = load_cli.emulator
    emulator.config.latency_ms = 5
    rng = random.Random(20261129)
    resent: list[int] = []
    started = time.monotonic()
    for trial in range(KILL_TRIALS):
        emulator.reset()
        add_custom_field(emulator, "person", "lifecycle_stage", LIFECYCLE_FIELD)
        forget_sync_state(load_cli.dbt_env)
        if trial < 3:
            _kill_during_checkpoint(load_cli, checkpoints=1 + trial * 2)
            killed = True
        else:
            killed = _kill_while_sending(load_cli, rng.uniform(0.0, 5.0))
        rerun = load_cli.run(*SELECT, "--vars", load_vars())
        assert rerun.exit_code == 0, rerun.stderr
        mismatch = compare(load_cli.dbt_env, emulator)
        assert mismatch.none, (trial, mismatch)
        # The killed sync's spooled rows are gone too: the rerun removed them.
        assert not list(load_cli.temp_dir.glob("dbt-clarify-rows-*")), trial
        resent.append(sum(m["updated"] for m in rerun.result["models"]) if killed else 0)
        print(f"kill -9 trial {trial}: {time.monotonic() - started:.0f} s", flush=True)
    print(f"\nkill -9: rows resent per trial (of {20_500}): {resent}")


def _as_from_a_terminal() -> None:
    """Let SIGINT interrupt the child: a test run started in the background ignores it, and a
    child inherits that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_sending_stops_in_one_line_and_a_rerun_holds_exactly_the_model(
    load_cli: SyncCli,
) -> None:
    """Ctrl-C mid-sync: exit 130 and one line, the spooled rows gone; the next run completes.

    The warehouse calls run on a thread of their own while the interrupt reaches the event
    loop: the sync must still end in one line and lose nothing.
    """
    load_cli.emulator.config.latency_ms = 5
    process = _sync_with_progress(load_cli, stderr=subprocess.PIPE, preexec_fn=_as_from_a_terminal)
    assert process.stdout is not None
    for line in process.stdout:
        if '"rows_done"' in line and "clarify_load_people" in line:
            break  # people are being sent: about 4 s of them are left at the client's pace
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    assert err.strip() == "Aborted."
    assert not list(load_cli.temp_dir.glob("dbt-clarify-rows-*"))
    rerun = load_cli.run(*SELECT, "--vars", load_vars())
    assert rerun.exit_code == 0, rerun.stderr
    mismatch = compare(load_cli.dbt_env, load_cli.emulator)
    assert mismatch.none, mismatch


def test_two_syncs_of_one_model_at_once_end_exact(load_cli: SyncCli) -> None:
    load_cli.emulator.config.latency_ms = 5
    processes = [
        subprocess.Popen(
            _sync_command(load_cli),
            env=load_cli.env(),
            cwd=load_cli.dbt_env.project_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    assert compare(load_cli.dbt_env, load_cli.emulator).none
    assert load_cli.run(*SELECT, "--vars", load_vars()).model("clarify_load_people")["read"] == 0
