"""A sync as a user runs it: the CLI in a subprocess, a built project, the emulator over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbt_clarify.emulator import Emulator, EmulatorConfig
from support.dbt_project import DbtEnv

WORKSPACE = "acme"
API_KEY = "e2e-secret-key-7f3a9c"
LIFECYCLE_FIELD = {
    "type": ["string", "null"],
    "title": "Lifecycle stage",
    "enum": ["Lead", "MQL", "SQL", "Customer"],
}


def add_custom_field(emulator: Emulator, object_name: str, name: str, spec: dict[str, Any]) -> None:
    """Create a custom field the way Clarify users do, then wait until the schema shows it."""
    base = f"{emulator.url}/v1/workspaces/{WORKSPACE}"
    headers = {"Authorization": f"api-key {API_KEY}"}
    body = {"data": {"type": "schema-properties", "attributes": {name: spec}}}
    with httpx.Client(base_url=base, headers=headers, timeout=5) as http:
        http.post(f"/schemas/{object_name}/properties", json=body).raise_for_status()
        for _ in range(100):
            schemas = http.get("/schemas").json()["data"]
            if any(
                s["id"].endswith(f"/{object_name}") and name in s["attributes"]["properties"]
                for s in schemas
            ):
                return
            time.sleep(0.05)
    raise AssertionError(f"custom field {name} never appeared")


@pytest.fixture
def clarify() -> Iterator[Emulator]:
    """A fresh emulator with the integration project's custom field in place."""
    config = EmulatorConfig(
        workspace=WORKSPACE, api_key=API_KEY, rate_limit_per_minute=None, schema_delay_s=0.05
    )
    with Emulator(config) as emulator:
        add_custom_field(emulator, "person", "lifecycle_stage", LIFECYCLE_FIELD)
        yield emulator


def write_requests(emulator: Emulator) -> int:
    """Record writes Clarify received (any method but GET under /objects, any status)."""
    return sum(
        n
        for (endpoint, _), n in emulator.request_counts().items()
        if " /objects/" in endpoint and not endpoint.startswith("GET")
    )


@dataclass(frozen=True)
class SyncRun:
    exit_code: int
    stdout: str
    stderr: str
    result: dict[str, Any] | None

    def model(self, name: str) -> dict[str, Any]:
        assert self.result is not None, self.stderr
        return next(m for m in self.result["models"] if m["name"] == name)


@dataclass
class SyncCli:
    """Runs ``python -m dbt_clarify sync`` against one dbt project copy and one emulator."""

    dbt_env: DbtEnv
    emulator: Emulator

    @property
    def result_path(self) -> Path:
        return self.dbt_env.project_dir / "target" / "clarify_run_results.json"

    @property
    def temp_dir(self) -> Path:
        """The CLI's temporary directory (TMPDIR), the test's own: where its spools go."""
        path = self.dbt_env.project_dir.parent / "cli-tmp"
        path.mkdir(exist_ok=True)
        return path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **self.dbt_env.subprocess_env(),
            "TMPDIR": str(self.temp_dir),
            "CLARIFY_API_KEY": API_KEY,
            "CLARIFY_WORKSPACE": WORKSPACE,
            "CLARIFY_API_URL": self.emulator.url,
            **extra,
        }

    def run(self, *args: str, command: str = "sync", env: dict[str, str] | None = None) -> SyncRun:
        self.result_path.unlink(missing_ok=True)
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "dbt_clarify",
                command,
                "--project-dir",
                str(self.dbt_env.project_dir),
                *args,
            ],
            cwd=self.dbt_env.project_dir,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result = json.loads(self.result_path.read_text()) if self.result_path.exists() else None
        return SyncRun(completed.returncode, completed.stdout, completed.stderr, result)


@pytest.fixture
def sync_cli(dbt_env: DbtEnv, clarify: Emulator) -> SyncCli:
    return SyncCli(dbt_env, clarify)
