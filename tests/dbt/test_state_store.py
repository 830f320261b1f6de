"""The state store in the warehouse: watermark, row issues and run log round trips."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from dbt_clarify.dbt import DbtProject
from dbt_clarify.state import (
    LedgerEntry,
    RowIssue,
    RunRecord,
    StateStore,
    Watermark,
    default_state_schema,
)
from dbt_clarify.state import store as state_store
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

PEOPLE = "model.integration_tests.clarify_people"
COMPANIES = "model.integration_tests.clarify_companies"
SCHEMA = "analytics_clarify"
"""A state schema of the tests' choosing: one name that works on every warehouse."""


@pytest.fixture
def store(dbt_project: DbtProject) -> Iterator[StateStore]:
    with dbt_project.connect() as warehouse:
        yield StateStore(warehouse, SCHEMA)


def stored_rows(dbt_env: DbtEnv, model_id: str) -> list[tuple]:
    return dbt_env.sql(
        "select row_key, status, attempts, run_id, status_since, last_attempt_at"
        f" from {SCHEMA}.clarify_sync_rows where model_id = ? order by row_key",
        [model_id],
    )


def run(run_id: str, model_id: str, started_at: datetime, **counts: int) -> RunRecord:
    values = dict.fromkeys(
        ["rows_read", "created", "updated", "unchanged", "rejected", "failed", "requests"], 0
    )
    return RunRecord(
        run_id=run_id,
        model_id=model_id,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=3),
        status="success",
        **{**values, **counts},
    )


def test_default_state_schema() -> None:
    assert default_state_schema("analytics") == "analytics_clarify"


def test_ensure_creates_the_tables_once_and_is_idempotent(
    dbt_env: DbtEnv, dbt_project: DbtProject
) -> None:
    fresh = "clarify_state_fresh"
    with dbt_project.connect() as warehouse:
        StateStore(warehouse, fresh).ensure()
        StateStore(warehouse, fresh).ensure()
    tables = dbt_env.sql(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [fresh],
    )
    assert tables == [("clarify_sync_rows",), ("clarify_sync_runs",), ("clarify_sync_state",)]
    columns = dbt_env.sql(
        "select column_name from information_schema.columns"
        " where table_schema = ? and table_name = 'clarify_sync_rows' order by ordinal_position",
        [fresh],
    )
    assert [name for (name,) in columns] == [
        "model_id",
        "row_key",
        "status",
        "row_hash",
        "clarify_id",
        "reason",
        "field",
        "schema_hash",
        "run_id",
        "attempts",
        "status_since",
        "last_attempt_at",
    ]


def test_watermark_round_trip(store: StateStore) -> None:
    assert store.watermark(PEOPLE) is None
    first = Watermark("2024-03-01T08:44:46.000123+00:00", "o'brien@x.io", "hash-1")
    store.save_watermark(PEOPLE, first)
    assert store.watermark(PEOPLE) == first
    second = Watermark(None, "", "hash-2")
    store.save_watermark(PEOPLE, second)
    assert store.watermark(PEOPLE) == second
    assert store.watermark(COMPANIES) is None


def issue(key: str, status: str, reason: str, field: str | None = None) -> LedgerEntry:
    return LedgerEntry(key, status, row_hash=f"h-{key}", reason=reason, field=field)  # type: ignore[arg-type]


def test_record_rows_counts_attempts_until_a_row_syncs(dbt_env: DbtEnv, store: StateStore) -> None:
    store.record_rows(
        PEOPLE,
        "run-1",
        [
            issue("not-an-email", "rejected", "invalid email", "email_addresses"),
            issue("o'brien@x.io", "failed", "HTTP 503 after 5 attempts; it's 'down'"),
        ],
    )
    store.record_rows(
        PEOPLE,
        "run-2",
        [
            issue("o'brien@x.io", "rejected", "value not in enum", "lifecycle_stage"),
            issue("o'brien@x.io", "rejected", "the last word wins", "lifecycle_stage"),
        ],
    )
    assert store.issues(PEOPLE) == [
        RowIssue("not-an-email", "rejected", "invalid email", "email_addresses"),
        RowIssue("o'brien@x.io", "rejected", "the last word wins", "lifecycle_stage"),
    ]
    email_row, obrien_row = stored_rows(dbt_env, PEOPLE)
    assert email_row[1:4] == ("rejected", 1, "run-1")
    assert obrien_row[1:4] == ("rejected", 2, "run-2")
    assert store.issues(COMPANIES) == []

    store.record_rows(PEOPLE, "run-3", [LedgerEntry("o'brien@x.io", "synced", "h2", "id-7")])
    assert [i.row_key for i in store.issues(PEOPLE)] == ["not-an-email"]
    synced = stored_rows(dbt_env, PEOPLE)[1]
    assert synced[1:4] == ("synced", 0, "run-3")


def test_a_rejected_change_keeps_the_clarify_id_of_the_synced_version(
    dbt_env: DbtEnv, store: StateStore
) -> None:
    store.record_rows(PEOPLE, "run-1", [LedgerEntry("k", "synced", "h1", "id-1")])
    store.record_rows(PEOPLE, "run-2", [issue("k", "rejected", "bad enum")])
    (row,) = dbt_env.sql(
        f"select clarify_id, status from {SCHEMA}.clarify_sync_rows where model_id = ?", [PEOPLE]
    )
    assert row == ("id-1", "rejected")


def test_a_column_all_rows_share_reads_back_on_every_row(
    dbt_env: DbtEnv, store: StateStore
) -> None:
    """DuckDB and PostgreSQL get such a column as one literal; each row still holds its value."""
    store.record_rows(
        PEOPLE, "run-1", [LedgerEntry(f"k{n}", "synced", "h", f"id-{n}") for n in range(3)]
    )
    rows = dbt_env.sql(
        "select row_key, status, row_hash, clarify_id, reason, field, attempts, run_id,"
        " status_since, last_attempt_at"
        f" from {SCHEMA}.clarify_sync_rows where model_id = ? order by row_key",
        [PEOPLE],
    )
    assert [row[:8] for row in rows] == [
        (f"k{n}", "synced", "h", f"id-{n}", None, None, 0, "run-1") for n in range(3)
    ]
    assert len({row[8] for row in rows} | {row[9] for row in rows}) == 1
    assert rows[0][8] is not None


@pytest.mark.parametrize("keys_per_statement", [500, 10_000], ids=["three", "one"])
def test_many_rows_land_whether_in_one_statement_or_several(
    dbt_project: DbtProject, monkeypatch: pytest.MonkeyPatch, keys_per_statement: int
) -> None:
    # DuckDB and PostgreSQL write a checkpoint in one statement; other warehouses in several.
    monkeypatch.setattr(state_store, "JSON_KEYS_PER_STATEMENT", keys_per_statement)
    issues = [issue(f"key-{n:04d}", "rejected", "bad") for n in range(1203)]
    expected = [RowIssue(i.row_key, "rejected", "bad", None) for i in issues]
    with dbt_project.connect() as warehouse:
        store = StateStore(warehouse, SCHEMA)
        store.record_rows(PEOPLE, "run-1", issues)
        store.record_rows(PEOPLE, "run-2", issues[:600])
        assert store.issues(PEOPLE) == expected
        synced = [LedgerEntry(i.row_key, "synced", "h", "id") for i in issues[1:]]
        store.record_rows(PEOPLE, "run-3", synced)
        assert store.issues(PEOPLE) == expected[:1]


def test_a_checkpoint_lands_whole_or_not_at_all(dbt_env: DbtEnv, store: StateStore) -> None:
    issues = [issue(f"key-{n:04d}", "rejected", "bad") for n in range(1203)]
    watermark = Watermark("2024-03-01T08:44:46+00:00", "key-1202", "hash-1")

    def checkpoint(interrupted: bool) -> None:
        with store.transaction():
            store.record_rows(PEOPLE, "run-1", issues)
            store.save_watermark(PEOPLE, watermark)
            if interrupted:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checkpoint(interrupted=True)
    assert stored_rows(dbt_env, PEOPLE) == []
    assert store.watermark(PEOPLE) is None

    checkpoint(interrupted=False)
    assert len(stored_rows(dbt_env, PEOPLE)) == len(issues)
    assert store.watermark(PEOPLE) == watermark


def test_runs_newest_first_with_a_limit(store: StateStore) -> None:
    start = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    for n in range(4):
        store.record_run(run(f"run-{n}", PEOPLE, start + timedelta(hours=n), created=n))
    store.record_run(run("run-x", COMPANIES, start))
    local = timezone(timedelta(hours=2))
    store.record_run(run("run-4", PEOPLE, (start + timedelta(hours=4)).astimezone(local)))
    latest = store.runs(PEOPLE, limit=3)
    assert [record.run_id for record in latest] == ["run-4", "run-3", "run-2"]
    assert latest[1] == run("run-3", PEOPLE, start + timedelta(hours=3), created=3)
    assert latest[0].started_at == start + timedelta(hours=4)
    assert latest[0].started_at.tzinfo == timezone.utc
    assert len(store.runs(PEOPLE)) == 5


def test_reset_forgets_one_model_everywhere(store: StateStore) -> None:
    for model_id in (PEOPLE, COMPANIES):
        store.save_watermark(model_id, Watermark("2024-01-01T00:00:00", "k", "h"))
        store.record_rows(model_id, "run-1", [issue("k", "failed", "boom")])
        store.record_run(run("run-1", model_id, datetime(2024, 1, 1, tzinfo=timezone.utc)))
    store.reset(PEOPLE)
    assert store.watermark(PEOPLE) is None
    assert store.issues(PEOPLE) == []
    assert store.runs(PEOPLE) == []
    assert store.watermark(COMPANIES) is not None
    assert len(store.issues(COMPANIES)) == 1
    assert len(store.runs(COMPANIES)) == 1


def test_state_survives_a_new_connection(dbt_project: DbtProject) -> None:
    watermark = Watermark("2024-01-01T00:00:00", "k", "h")
    with dbt_project.connect() as warehouse:
        StateStore(warehouse, SCHEMA).save_watermark(PEOPLE, watermark)
    with dbt_project.connect() as warehouse:
        assert StateStore(warehouse, SCHEMA).watermark(PEOPLE) == watermark
