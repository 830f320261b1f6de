"""The /_emulator/ routes and the Python interface that tests and demos inspect it through."""

from __future__ import annotations

import time

import httpx
import pytest

from dbt_clarify.emulator import Emulator, EmulatorConfig

from .client import Workspace


def test_records_over_http_match_the_python_view(
    anonymous: httpx.Client, ws: Workspace, emulator: Emulator
) -> None:
    ws.created_id("company", {"name": "Acme"})
    response = anonymous.get("/_emulator/records/company")
    assert response.status_code == 200
    assert response.json()["data"] == emulator.records("company")
    assert [r["name"] for r in response.json()["data"]] == ["Acme"]
    assert anonymous.get("/_emulator/records/c_nothing").status_code == 404


def test_records_are_copies(ws: Workspace, emulator: Emulator) -> None:
    ws.created_id("company", {"name": "Acme"})
    emulator.records("company")[0]["name"] = "Changed"
    assert emulator.records("company")[0]["name"] == "Acme"


def test_stats_count_requests_per_endpoint_and_status(
    anonymous: httpx.Client, ws: Workspace, emulator: Emulator
) -> None:
    ws.created_id("company", {"name": "Acme"})
    ws.create("company", {"nickname": "x"})
    ws.http.get("/schemas")
    expected = {
        ("POST /objects/{object}/records", 201): 1,
        ("POST /objects/{object}/records", 422): 1,
        ("GET /schemas", 200): 1,
    }
    assert emulator.request_counts() == expected
    stats = anonymous.get("/_emulator/stats").json()
    assert stats["requests"] == {
        "GET /schemas": {"200": 1},
        "POST /objects/{object}/records": {"201": 1, "422": 1},
    }
    assert stats["total"] == 3


def test_stats_give_the_serving_process_cpu_time(anonymous: httpx.Client) -> None:
    before = anonymous.get("/_emulator/stats").json()["process_cpu_s"]
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:  # this process serves the emulator in a thread
        pass
    after = anonymous.get("/_emulator/stats").json()["process_cpu_s"]
    assert after - before >= 0.05


def test_reset_over_http_forgets_records_counts_and_custom_fields(
    anonymous: httpx.Client, ws: Workspace, emulator: Emulator
) -> None:
    emulator.config.schema_delay_s = 0
    ws.created_id("company", {"name": "Acme"})
    body = {"data": {"type": "schema-properties", "attributes": {"tier": {"type": "string"}}}}
    assert ws.http.post("/schemas/company/properties", json=body).status_code == 202
    assert anonymous.post("/_emulator/reset").status_code == 204
    assert emulator.records("company") == []
    assert emulator.request_counts() == {}
    assert "tier" not in ws.http.get("/schemas").text


def test_config_over_http_changes_behaviour_at_runtime(
    anonymous: httpx.Client, ws: Workspace, emulator: Emulator
) -> None:
    changes = {"fault_rate": 1.0, "faults": ["503"], "latency_ms": 0, "rate_limit_per_minute": 9}
    response = anonymous.post("/_emulator/config", json=changes)
    assert response.status_code == 200
    assert response.json()["faults"] == ["503"]
    assert "api_key" not in response.json()
    assert emulator.config.faults == ("503",)
    faulted = ws.http.get("/schemas")
    assert faulted.status_code == 503
    assert faulted.headers["X-RateLimit-Limit"] == "9"
    assert anonymous.get("/_emulator/config").json()["rate_limit_per_minute"] == 9


@pytest.mark.parametrize(
    "changes",
    [{"fault_rate": 2}, {"faults": ["boom"]}, {"latency_ms": "slow"}, {"api_key": "x"}, {"x": 1}],
)
def test_invalid_config_changes_are_400_and_change_nothing(
    anonymous: httpx.Client, emulator: Emulator, changes: dict
) -> None:
    before = emulator.config.public_view()
    assert anonymous.post("/_emulator/config", json=changes).status_code == 400
    assert emulator.config.public_view() == before


def test_the_api_key_never_shows(emulator: Emulator) -> None:
    config = EmulatorConfig(api_key="very-secret-key")
    assert "very-secret-key" not in repr(config)
    assert "very-secret-key" not in str(config.public_view())


def test_unknown_inspection_route_is_404(anonymous: httpx.Client) -> None:
    assert anonymous.get("/_emulator/nothing").status_code == 404


def test_stop_closes_idle_keep_alive_connections() -> None:
    emulator = Emulator(EmulatorConfig()).start()
    with httpx.Client(base_url=emulator.url, timeout=2) as client:
        assert client.get("/_emulator/stats").status_code == 200
        emulator.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/_emulator/stats")
