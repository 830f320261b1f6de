"""The README demo: build integration_tests on DuckDB, sync it into the local emulator, change a
few rows, and sync again to show that only those are sent.

Run it through ``scripts/demo``, which prepares the virtual environment first.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from dbt_clarify.clarify import ClarifyClient
from dbt_clarify.emulator import Emulator, EmulatorConfig
from dbt_clarify.settings import ClarifySettings

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "integration_tests"
DATABASE = PROJECT / "integration_tests.duckdb"
WORKSPACE = "demo"
API_KEY = "demo-key"
console = Console(highlight=False)


def step(text: str) -> None:
    console.rule(f"[bold]{text}")


def run(*command: str, env: dict[str, str]) -> int:
    console.print(f"[dim]$ {' '.join(command)}[/]")
    return subprocess.run(command, cwd=PROJECT, env=env, check=False).returncode


def dbt(*args: str, env: dict[str, str]) -> None:
    if run(str(Path(sys.executable).with_name("dbt")), *args, "--quiet", env=env) != 0:
        sys.exit(f"dbt {' '.join(args)} failed")


def sync(env: dict[str, str], emulator: Emulator) -> None:
    before = writes(emulator)
    code = run(
        str(Path(sys.executable).with_name("dbt-clarify")),
        "sync",
        "--select",
        "tag:clarify",
        env=env,
    )
    console.print(f"exit code {code}; write requests Clarify received: {writes(emulator) - before}")


def writes(emulator: Emulator) -> int:
    counts = emulator.request_counts()
    return sum(n for (endpoint, _), n in counts.items() if not endpoint.startswith("GET"))


def show_people(emulator: Emulator, limit: int = 8) -> None:
    companies = {c["_id"]: c["name"] for c in emulator.records("company")}
    people = emulator.records("person")
    table = Table(title=f"Clarify now holds {len(people)} people and {len(companies)} companies")
    for column in ("email", "name", "title", "company", "lifecycle_stage"):
        table.add_column(column)
    for person in sorted(people, key=lambda p: p["_updated_at"], reverse=True)[:limit]:
        name = person.get("name") or {}
        table.add_row(
            ", ".join(person["email_addresses"]["items"]),
            f"{name.get('first_name', '')} {name.get('last_name', '')}",
            person.get("job_title") or "",
            companies.get(person.get("company_id") or "", ""),
            person.get("lifecycle_stage") or "",
        )
    console.print(table)


async def create_custom_field(settings: ClarifySettings) -> None:
    async with ClarifyClient(settings) as client:
        await client.create_fields(
            "person",
            {
                "lifecycle_stage": {
                    "type": ["string", "null"],
                    "title": "Lifecycle stage",
                    "enum": ["Lead", "MQL", "SQL", "Customer"],
                }
            },
        )


def change_rows() -> None:
    with duckdb.connect(str(DATABASE)) as db:
        db.execute(
            "update raw_people set title = 'VP Data', updated_at = now()::timestamp "
            "where person_id in (select person_id from raw_people order by person_id limit 3)"
        )
        db.execute(
            "insert into raw_people values "
            "(9001, 'Ada', 'Lovelace', 'ada@globex.io', 'Founder', 'globex.io', 'Customer', "
            " now()::timestamp), "
            "(9002, 'Alan', 'Turing', 'alan@initech.ai', 'Researcher', 'initech.ai', 'Lead', "
            " now()::timestamp)"
        )


def main() -> None:
    started = time.monotonic()
    DATABASE.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT),
        "DBT_CLARIFY_DUCKDB_PATH": str(DATABASE),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    step("1. dbt deps && dbt build (integration_tests on DuckDB)")
    dbt("deps", env=env)
    dbt("build", env=env)

    step("2. A local Clarify: the emulator, with Clarify's real rate limit")
    config = EmulatorConfig(workspace=WORKSPACE, api_key=API_KEY, schema_delay_s=0.2)
    with Emulator(config) as emulator:
        settings = ClarifySettings(
            api_key=SecretStr(API_KEY), workspace=WORKSPACE, api_url=emulator.url
        )
        asyncio.run(create_custom_field(settings))
        console.print(f"emulator at {emulator.url}, workspace '{WORKSPACE}'")
        env |= {
            "CLARIFY_API_KEY": API_KEY,
            "CLARIFY_WORKSPACE": WORKSPACE,
            "CLARIFY_API_URL": emulator.url,
        }

        step("3. dbt-clarify sync: the first run sends every row")
        sync(env, emulator)
        show_people(emulator)

        step("4. The same sync again: nothing changed, nothing sent")
        sync(env, emulator)

        step("5. Three people change and two are new; dbt rebuilds; only those five are sent")
        change_rows()
        dbt("build", "--select", "stg_people+", env=env)
        sync(env, emulator)
        show_people(emulator, limit=5)
    console.print(f"demo finished in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
