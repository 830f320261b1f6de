"""The Snowflake path run on fakesnow, a local stand-in that answers Snowflake SQL.

fakesnow replaces ``snowflake.connector.connect`` with a DuckDB database that reads Snowflake's
dialect through sqlglot. dbt-snowflake opens its connection through it unchanged, so what runs
here is dbt-clarify's Snowflake path: the connection, the cursor a stream reads while state is
written on the same connection, the state tables and their MERGE, and whole syncs against the
emulator. fakesnow does not stand for Snowflake's engine (its result chunks, collation and
transactions): this checks the code path and the SQL, not the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

import dbt_clarify
from adapters.offline import dbt_environment, parse_offline, required
from dbt_clarify.dbt import DbtProject
from dbt_clarify.dbt.runner import invoke
from dbt_clarify.emulator import Emulator, EmulatorConfig
from dbt_clarify.engine.reader import RowSelection, read_changed_rows
from dbt_clarify.settings import ClarifySettings
from dbt_clarify.state import LedgerEntry, StateStore, Watermark
from e2e.conftest import API_KEY, LIFECYCLE_FIELD, WORKSPACE, add_custom_field

pytestmark = pytest.mark.adapters

PEOPLE_ID = "model.integration_tests.clarify_people"
TABLES = "analytics.dbt_clarify_it"
PEOPLE = [
    ("ada@lovelace.io", "Ada", "Lead", datetime(2024, 5, 1, 9, 0)),
    ("o'brien@globex.io", "Pat", "MQL", datetime(2024, 5, 1, 9, 0)),
    ("grace@hopper.io", "Grace", "Customer", datetime(2024, 5, 1, 10, 0)),
    ("not-an-email", "Nobody", "Lead", datetime(2024, 5, 1, 11, 0)),
    ("alan@turing.io", None, "SQL", datetime(2024, 5, 1, 12, 0)),
]
COMPANIES = [
    ("lovelace.io", "Lovelace Ltd", 12, datetime(2024, 5, 1, 9, 0)),
    ("globex.io", "Globex", 126, datetime(2024, 5, 1, 9, 30)),
]


def literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def values(rows: list[tuple]) -> str:
    return ", ".join("(" + ", ".join(literal(value) for value in row) + ")" for row in rows)


@pytest.fixture
def snowflake(offline_project_dir: Path, tmp_path: Path) -> Iterator[DbtProject]:
    """integration_tests on a Snowflake target that fakesnow answers, its sync models loaded."""
    fakesnow = required("fakesnow", "fakesnow")
    database_dir = tmp_path / "fakesnow"
    database_dir.mkdir()
    with fakesnow.patch(db_path=str(database_dir)), pytest.MonkeyPatch.context() as patch:
        for name, value in dbt_environment(offline_project_dir).items():
            patch.setenv(name, value)
        patch.setenv("DBT_TARGET_PATH", str(offline_project_dir / "target-snowflake"))
        project = parse_offline(offline_project_dir, "snowflake")
        with project.connect() as warehouse:
            warehouse.execute(
                [
                    f"create schema if not exists {TABLES}",
                    f"create or replace table {TABLES}.clarify_people (email varchar,"
                    " first_name varchar, last_name varchar, title varchar,"
                    " company_domain varchar, lifecycle_stage varchar, updated_at timestamp_ntz)",
                    f"insert into {TABLES}.clarify_people"
                    " (email, first_name, lifecycle_stage, updated_at)"
                    f" values {values(PEOPLE)}",
                    f"create or replace table {TABLES}.clarify_companies (domain varchar,"
                    " name varchar, industry varchar, employee_count number,"
                    " updated_at timestamp_ntz)",
                    f"insert into {TABLES}.clarify_companies"
                    f" (domain, name, employee_count, updated_at) values {values(COMPANIES)}",
                ]
            )
        yield project


@pytest.fixture
def clarify() -> Iterator[Emulator]:
    config = EmulatorConfig(workspace=WORKSPACE, api_key=API_KEY, rate_limit_per_minute=None)
    with Emulator(config) as emulator:
        add_custom_field(emulator, "person", "lifecycle_stage", LIFECYCLE_FIELD)
        yield emulator


def test_a_stream_reads_on_while_state_is_written_on_the_same_connection(
    snowflake: DbtProject,
) -> None:
    (node,) = snowflake.select(["clarify_people"])
    with snowflake.connect() as warehouse:
        types = {column.name.lower(): column.data_type for column in warehouse.columns(node)}
        assert types["updated_at"] == "TIMESTAMP_NTZ"
        store = StateStore(warehouse, "dbt_clarify_it_clarify")

        def selection(watermark: Watermark | None) -> RowSelection:
            return RowSelection(
                node=node,
                columns=("email", "first_name"),
                cursor="updated_at",
                key="email",
                cursor_type=types["updated_at"],
                watermark=watermark,
                lookback_seconds=0,
                hash_columns=("email", "first_name"),
                salt="m1",
                ledger=None,
            )

        seen = []
        with read_changed_rows(warehouse, selection(None), batch_size=2) as changed:
            for batch in changed:
                seen.append([row.key_value for row in batch])
                last = batch[-1]
                store.record_rows(
                    PEOPLE_ID,
                    "run-1",
                    [LedgerEntry(row.key_value, "synced", row.row_hash) for row in batch],
                )
                store.save_watermark(
                    PEOPLE_ID,
                    Watermark(last.cursor_value, last.key_value, "m1"),
                    cursor_type=types["updated_at"],
                )
        assert seen == [
            ["ada@lovelace.io", "o'brien@globex.io"],
            ["grace@hopper.io", "not-an-email"],
            ["alan@turing.io"],
        ]
        assert store.watermark(PEOPLE_ID) == Watermark(
            "2024-05-01T12:00:00", "alan@turing.io", "m1"
        )
        # An older watermark never replaces a later one.
        store.save_watermark(
            PEOPLE_ID, Watermark("2024-05-01T09:00:00", "zz", "m1"), types["updated_at"]
        )
        assert store.watermark(PEOPLE_ID) == Watermark(
            "2024-05-01T12:00:00", "alan@turing.io", "m1"
        )
        after = Watermark("2024-05-01T09:00:00", "ada@lovelace.io", "m1")
        with read_changed_rows(warehouse, selection(after), batch_size=10) as changed:
            assert [row.key_value for batch in changed for row in batch] == [
                "o'brien@globex.io",
                "grace@hopper.io",
                "not-an-email",
                "alan@turing.io",
            ]


def test_syncs_send_new_rows_then_only_changed_ones(
    snowflake: DbtProject, clarify: Emulator, offline_project_dir: Path
) -> None:
    settings = ClarifySettings(SecretStr(API_KEY), workspace=WORKSPACE, api_url=clarify.url)

    def sync() -> dict[str, tuple[int, int, int, int]]:
        result = dbt_clarify.sync(
            settings=settings,
            project_dir=offline_project_dir,
            profiles_dir=offline_project_dir,
            target="snowflake",
        )
        return {m.name: (m.created, m.updated, m.unchanged, m.rejected) for m in result.models}

    first = sync()
    assert first == {"clarify_companies": (2, 0, 0, 0), "clarify_people": (4, 0, 0, 1)}
    stages = {
        email: record["lifecycle_stage"]
        for record in clarify.records("person")
        for email in record["email_addresses"]["items"]
    }
    assert stages == {email: stage for email, _, stage, _ in PEOPLE if "@" in email}
    with snowflake.connect() as warehouse:
        warehouse.execute(
            f"update {TABLES}.clarify_people set lifecycle_stage = 'Customer',"
            " updated_at = '2024-05-02 08:00:00' where email = 'ada@lovelace.io'"
        )
    # The changed row is sent; the rejected one is tried again (up to three attempts).
    assert sync() == {"clarify_companies": (0, 0, 0, 0), "clarify_people": (0, 1, 0, 1)}
    assert {
        email: record["lifecycle_stage"]
        for record in clarify.records("person")
        for email in record["email_addresses"]["items"]
    }["ada@lovelace.io"] == "Customer"


def test_building_the_health_models_creates_the_state_tables(
    snowflake: DbtProject, offline_project_dir: Path
) -> None:
    invoke(
        [
            "run",
            "--select",
            "package:dbt_clarify",
            "--project-dir",
            str(offline_project_dir),
            "--profiles-dir",
            str(offline_project_dir),
            "--target",
            "snowflake",
            "--target-path",
            str(offline_project_dir / "target-snowflake"),
        ],
        failure="dbt run of the health models failed",
        hint="see logs/dbt.log",
    )
    with snowflake.connect() as warehouse:
        tables = warehouse.query(
            "select lower(table_name) from information_schema.tables"
            " where lower(table_schema) = 'dbt_clarify_it_clarify'"
        )
    assert {"clarify_sync_rows", "clarify_sync_runs", "clarify_dbt_results"} <= {
        name for (name,) in tables
    }
