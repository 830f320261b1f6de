"""``dbt_clarify.sync(...)`` called the way an Airflow task calls it (examples/airflow).

A task runs its callable in the worker's process and pushes the return value to XCom, which
must serialise as JSON; a raised exception fails the task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import dbt_clarify
from dbt_clarify.dbt import DbtProject, ProjectOptions
from dbt_clarify.emulator import Emulator
from dbt_clarify.engine.progress import SilentReporter
from dbt_clarify.errors import ConfigError
from dbt_clarify.heap import YOUNG_COLLECTION_ALLOCATIONS
from dbt_clarify.state import StateStore
from e2e.conftest import API_KEY, WORKSPACE
from e2e.seeds import expected_people
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt


class AirflowException(Exception):
    """Stands for airflow.exceptions.AirflowException, which fails a task."""


def sync_to_clarify(project_dir: str, dbt_cloud_job_id: int | None = None) -> dict[str, Any]:
    """The task callable of examples/airflow, with the project directory as an argument."""
    result = dbt_clarify.sync(
        project_dir=project_dir, select=["tag:clarify"], dbt_cloud_job_id=dbt_cloud_job_id
    )
    undelivered = {model.name: model.failed for model in result.models if model.failed}
    if undelivered:
        raise AirflowException(f"rows not delivered to Clarify, retry later: {undelivered}")
    return result.model_dump(mode="json")


@pytest.fixture
def clarify_env(clarify: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    monkeypatch.setenv("CLARIFY_API_KEY", API_KEY)
    monkeypatch.setenv("CLARIFY_WORKSPACE", WORKSPACE)
    monkeypatch.setenv("CLARIFY_API_URL", clarify.url)
    return clarify


def test_a_task_syncs_and_returns_a_result_xcom_can_carry(
    dbt_env: DbtEnv, clarify_env: Emulator
) -> None:
    xcom = json.loads(json.dumps(sync_to_clarify(str(dbt_env.project_dir))))

    assert {m["name"] for m in xcom["models"]} == {"clarify_companies", "clarify_people"}
    people = next(m for m in xcom["models"] if m["name"] == "clarify_people")
    assert people["created"] == len(clarify_env.records("person")) > 0
    assert people["rejected"] > 0  # refused rows are reported, and do not fail the task
    assert API_KEY not in json.dumps(xcom)
    written = dbt_env.project_dir / "target" / "clarify_run_results.json"
    assert json.loads(written.read_text())["run_id"] == xcom["run_id"]


def test_a_task_fails_with_one_clear_error(
    dbt_env: DbtEnv, clarify_env: Emulator, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="dbt could not parse the project"):
        sync_to_clarify(str(tmp_path / "no_such_project"))
    assert clarify_env.records("company") == []


def test_the_next_batch_is_out_during_a_checkpoint_and_a_crash_there_loses_nothing(
    dbt_env: DbtEnv, clarify_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint is written while the next batch's request is out, so Clarify and the
    warehouse work at once; a process that dies in that checkpoint sends both batches again."""

    def dies(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the sync dies in its first checkpoint")

    batch = 50
    # Slots for every request of both batches: a batch makes a company lookup per domain, and
    # the second batch's must not queue behind the first's.
    options: dict[str, Any] = {
        "project_dir": str(dbt_env.project_dir),
        "read_batch_rows": batch,
        "checkpoint_rows": batch,
        "concurrency": 32,
    }
    # Each answer takes a while, as over a network, so the second batch's request is surely out
    # when the first one's answer comes back.
    clarify_env.config = replace(clarify_env.config, latency_ms=500)
    with monkeypatch.context() as patch:
        patch.setattr(StateStore, "record_rows", dies)
        with pytest.raises(RuntimeError, match="first checkpoint"):
            dbt_clarify.sync(select=["clarify_people"], **options)
    # More people than one read batch holds landed before the first checkpoint could commit.
    deadline = time.monotonic() + 10
    while len(clarify_env.records("person")) <= batch and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(clarify_env.records("person")) > batch

    clarify_env.config = replace(clarify_env.config, latency_ms=0)
    result = dbt_clarify.sync(select=["clarify_people"], **options)
    emails = [e for r in clarify_env.records("person") for e in r["email_addresses"]["items"]]
    assert sorted(emails) == sorted(expected_people())
    (people,) = result.models
    assert people.created + people.updated == len(emails)


def test_three_batches_beyond_the_one_being_checkpointed_are_out_to_clarify(
    dbt_env: DbtEnv, clarify_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first batch's checkpoint is written, the second and third batches are out,
    and so is the fourth, read before the checkpoint began; the fifth waits for it: Clarify
    has work while the warehouse writes, and what the sync holds stays bounded."""
    batch = 40
    record_rows = StateStore.record_rows
    landed_at_first_checkpoint: list[int] = []

    def checkpoint_counting_people(self: StateStore, *args: Any, **kwargs: Any) -> None:
        if not landed_at_first_checkpoint:
            # Wait for the batches in flight to land: the count stops growing.
            count, deadline = -1, time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.5)
                now = len(clarify_env.records("person"))
                if now == count:
                    break
                count = now
            landed_at_first_checkpoint.append(count)
        record_rows(self, *args, **kwargs)

    monkeypatch.setattr(StateStore, "record_rows", checkpoint_counting_people)
    dbt_clarify.sync(
        project_dir=str(dbt_env.project_dir),
        select=["clarify_people"],
        read_batch_rows=batch,
        checkpoint_rows=batch,
        concurrency=32,  # every batch's company lookups at once, none queued behind another's
    )

    # The first four batches hold 160 rows, a few of them rejected or superseded: more people
    # than three batches could hold, and no more than four.
    (landed,) = landed_at_first_checkpoint
    assert 3 * batch < landed <= 4 * batch
    emails = [e for r in clarify_env.records("person") for e in r["email_addresses"]["items"]]
    assert sorted(emails) == sorted(expected_people())


class LoopKeeper(SilentReporter):
    """A reporter that keeps the event loop the sync reports from."""

    loop: asyncio.AbstractEventLoop | None = None

    def model_started(self, model: str, object_name: str) -> None:
        self.loop = asyncio.get_running_loop()


def test_the_event_loop_goes_on_while_a_checkpoint_is_written(
    dbt_env: DbtEnv, clarify_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints are written on a thread of their own, so the event loop that sends the
    requests goes on running meanwhile."""
    keeper = LoopKeeper()
    record_rows = StateStore.record_rows
    loop_answered: list[bool] = []

    def checkpoint_asking_the_loop(self: StateStore, *args: Any, **kwargs: Any) -> None:
        assert keeper.loop is not None
        asked = asyncio.run_coroutine_threadsafe(asyncio.sleep(0), keeper.loop)
        try:
            asked.result(timeout=2)  # never answered if this runs on the loop's own thread
            loop_answered.append(True)
        except concurrent.futures.TimeoutError:
            asked.cancel()
            loop_answered.append(False)
        record_rows(self, *args, **kwargs)

    monkeypatch.setattr(StateStore, "record_rows", checkpoint_asking_the_loop)
    result = dbt_clarify.sync(
        project_dir=str(dbt_env.project_dir),
        select=["clarify_people"],
        read_batch_rows=100,
        checkpoint_rows=100,
        reporter=keeper,
    )

    assert len(loop_answered) >= 3
    assert all(loop_answered)
    emails = [e for r in clarify_env.records("person") for e in r["email_addresses"]["items"]]
    assert sorted(emails) == sorted(expected_people())
    (people,) = result.models
    assert people.created == len(emails)


class FreezeWatcher(SilentReporter):
    """Notes, as each model starts, how many objects are out of the collector's way and how
    often it collects the youngest generation."""

    def __init__(self) -> None:
        self.frozen: list[int] = []
        self.young_threshold: list[int] = []

    def model_started(self, model: str, object_name: str) -> None:
        self.frozen.append(gc.get_freeze_count())
        self.young_threshold.append(gc.get_threshold()[0])


def test_a_sync_freezes_dbts_objects_while_it_runs_and_hands_them_back(
    dbt_env: DbtEnv, clarify_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While rows are synced, what was alive before (dbt's manifest, the imports) is frozen, so
    the collector does not walk it again for every few hundred rows, and young collections are
    rarer, as they are while dbt loads the project; the task's process gets its collector back
    as it was."""
    assert gc.get_freeze_count() == 0
    young_threshold = gc.get_threshold()[0]
    watcher = FreezeWatcher()
    load = DbtProject.load.__func__
    threshold_while_loading: list[int] = []

    def watched_load(cls: type[DbtProject], options: ProjectOptions) -> DbtProject:
        threshold_while_loading.append(gc.get_threshold()[0])
        return load(cls, options)

    monkeypatch.setattr(DbtProject, "load", classmethod(watched_load))

    result = dbt_clarify.sync(
        project_dir=str(dbt_env.project_dir), select=["tag:clarify"], reporter=watcher
    )

    assert [m.name for m in result.models] == ["clarify_companies", "clarify_people"]
    assert len(watcher.frozen) == 2
    assert min(watcher.frozen) > 10_000  # dbt's manifest and adapter alone hold more
    assert threshold_while_loading == [YOUNG_COLLECTION_ALLOCATIONS]
    assert watcher.young_threshold == [YOUNG_COLLECTION_ALLOCATIONS] * 2
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[0] == young_threshold


class RowsDone(SilentReporter):
    """A reporter that keeps the rows each checkpoint reported, per model."""

    def __init__(self) -> None:
        self.done: dict[str, list[int]] = {}

    def rows_done(self, model: str, rows: int) -> None:
        self.done.setdefault(model, []).append(rows)


def _checkpoint_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ledger entries each checkpoint writes, in order, recorded as the sync runs."""
    sizes: list[int] = []
    record_rows = StateStore.record_rows

    def recording(self: StateStore, model_id: str, run_id: str, entries: Any) -> None:
        sizes.append(len(entries))
        record_rows(self, model_id, run_id, entries)

    monkeypatch.setattr(StateStore, "record_rows", recording)
    return sizes


def test_a_checkpoint_saves_the_batches_settled_once_they_hold_checkpoint_rows(
    dbt_env: DbtEnv, clarify_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _checkpoint_sizes(monkeypatch)
    reporter = RowsDone()
    result = dbt_clarify.sync(
        project_dir=str(dbt_env.project_dir),
        select=["clarify_people"],
        read_batch_rows=50,
        checkpoint_rows=120,
        reporter=reporter,
    )

    (people,) = result.models
    # Three batches of 50 reach 120 rows; the rows left after the last full group go at the end.
    whole, rest = divmod(people.read, 150)
    assert sizes == [150] * whole + ([rest] if rest else [])
    assert reporter.done == {"clarify_people": sizes}
    again = dbt_clarify.sync(project_dir=str(dbt_env.project_dir), select=["clarify_people"])
    assert (again.models[0].created, again.models[0].updated) == (0, 0)


def test_fail_fast_checkpoints_every_batch_and_stops_after_the_first_with_rejections(
    dbt_env: DbtEnv, clarify_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = _checkpoint_sizes(monkeypatch)
    options: dict[str, Any] = {
        "project_dir": str(dbt_env.project_dir),
        "select": ["clarify_people"],
        "read_batch_rows": 50,
    }
    stopped = dbt_clarify.sync(**options, fail_fast=True)

    (people,) = stopped.models
    assert people.rejected > 0
    # Nothing sent is left unsaved: each batch sent was checkpointed before the next one went.
    assert sizes == [50] * (people.read // 50)
    assert people.read < 300
    sent = len(clarify_env.records("person"))
    assert sent == people.created

    rest = dbt_clarify.sync(**options)
    # The rows the stopped run settled are not sent again: only the rest are.
    assert rest.models[0].updated == 0
    assert sent + rest.models[0].created == len(clarify_env.records("person"))
