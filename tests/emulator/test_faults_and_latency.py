"""Injected faults behave as the real failures they stand for; latency overlaps across threads."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from dbt_clarify.emulator import Emulator

from .client import Workspace

ENDPOINT = "POST /objects/{object}/records"


def _inject(emulator: Emulator, fault: str) -> None:
    emulator.config.faults = (fault,)
    emulator.config.fault_rate = 1.0


def _create_jane(ws: Workspace) -> httpx.Response:
    return ws.create("person", {"email_addresses": ws.items("jane@acme.com")})


def test_429_fault_asks_to_retry_after_one_second(ws: Workspace, emulator: Emulator) -> None:
    _inject(emulator, "429")
    response = _create_jane(ws)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert emulator.records("person") == []


@pytest.mark.parametrize("fault", ["500", "502", "503"])
def test_server_error_faults_apply_nothing(ws: Workspace, emulator: Emulator, fault: str) -> None:
    _inject(emulator, fault)
    response = _create_jane(ws)
    assert response.status_code == int(fault)
    assert Workspace.errors(response)[0]["status"] == fault
    assert emulator.records("person") == []
    assert emulator.request_counts()[(ENDPOINT, int(fault))] == 1


def test_drop_hangs_up_without_applying(ws: Workspace, emulator: Emulator) -> None:
    _inject(emulator, "drop")
    with pytest.raises(httpx.TransportError):
        _create_jane(ws)
    assert emulator.records("person") == []
    assert emulator.request_counts()[(ENDPOINT, 0)] == 1


def test_lost_applies_the_request_then_hangs_up(ws: Workspace, emulator: Emulator) -> None:
    _inject(emulator, "lost")
    with pytest.raises(httpx.TransportError):
        _create_jane(ws)
    [person] = emulator.records("person")
    assert person["email_addresses"] == {"items": ["jane@acme.com"]}
    assert emulator.request_counts()[(ENDPOINT, 0)] == 1
    emulator.config.fault_rate = 0.0
    assert _create_jane(ws).status_code == 400  # a blind retry now collides


def test_slow_answers_after_the_client_gave_up_and_still_applies(
    ws: Workspace, emulator: Emulator
) -> None:
    _inject(emulator, "slow")
    emulator.config.slow_seconds = 0.4
    body = {"data": {"type": "person", "attributes": {"job_title": "CTO"}}}
    with pytest.raises(httpx.ReadTimeout):
        ws.http.post("/objects/person/records", json=body, timeout=0.1)
    assert emulator.records("person") == []
    deadline = time.monotonic() + 3
    while not emulator.records("person") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(emulator.records("person")) == 1


def test_latency_is_added_and_overlaps_across_connections(
    emulator: Emulator, http: httpx.Client
) -> None:
    emulator.config.latency_ms = 200
    durations: list[float] = []

    def call() -> None:
        started = time.monotonic()
        assert http.get("/schemas").status_code == 200
        durations.append(time.monotonic() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert len(durations) == 8
    assert min(durations) >= 0.2
    assert elapsed < 0.8


def test_inspection_routes_are_never_faulted(anonymous: httpx.Client, emulator: Emulator) -> None:
    _inject(emulator, "500")
    assert anonymous.get("/_emulator/stats").status_code == 200
    assert anonymous.get("/_emulator/records/person").status_code == 200


def test_a_seed_replays_the_same_faults(ws: Workspace, emulator: Emulator) -> None:
    emulator.config.seed = 7
    emulator.config.faults = ("500", "503")
    emulator.config.fault_rate = 0.5

    def statuses() -> list[int]:
        return [ws.http.get("/schemas").status_code for _ in range(20)]

    first = statuses()
    emulator.reset()
    assert statuses() == first
    assert {200, 500} <= set(first) or {200, 503} <= set(first)
