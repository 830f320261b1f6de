"""The state store in the warehouse: watermark, row issues and run log round trips."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from dbt_clarify.dbt import DbtProject
from dbt_clarify.state import RowIssue, RunRecord, StateStore, Watermark, default_state_schema
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

PEOPLE = "model.integration_tests.clarify_people"
COMPANIES = "model.integration_tests.clarify_companies"
SCHEMA = "main_clarify"


@pytest.fixture
def store(dbt_project: DbtProject) -> Iterator[StateStore]:
    with dbt_project.connect() as warehouse:
        yield StateStore(warehouse, default_state_schema(dbt_project.target_schema))


def stored_rows(dbt_env: DbtEnv, model_id: str) -> list[tuple]:
    return dbt_env.sql(
        "select row_key, status, attempts, run_id, first_seen_at, last_attempt_at"
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
    with dbt_project.connect() as warehouse:
        StateStore(warehouse, SCHEMA).ensure()
        StateStore(warehouse, SCHEMA).ensure()
    tables = dbt_env.sql(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [SCHEMA],
    )
    assert tables == [("clarify_sync_rows",), ("clarify_sync_runs",), ("clarify_sync_state",)]
    columns = dbt_env.sql(
        "select column_name from information_schema.columns"
        " where table_schema = ? and table_name = 'clarify_sync_rows' order by ordinal_position",
        [SCHEMA],
    )
    assert [name for (name,) in columns] == [
        "model_id",
        "row_key",
        "status",
        "reason",
        "field",
        "run_id",
        "attempts",
        "first_seen_at",
        "last_attempt_at",
        "row_hash",
        "clarify_id",
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


def test_record_issues_upserts_and_counts_attempts(dbt_env: DbtEnv, store: StateStore) -> None:
    store.record_issues(
        PEOPLE,
        "run-1",
        [
            RowIssue("not-an-email", "rejected", "invalid email", "email_addresses"),
            RowIssue("o'brien@x.io", "failed", "HTTP 503 after 5 attempts; it's 'down'", None),
        ],
    )
    store.record_issues(
        PEOPLE,
        "run-2",
        [
            RowIssue("o'brien@x.io", "rejected", "value not in enum", "lifecycle_stage"),
            RowIssue("o'brien@x.io", "rejected", "the last word wins", "lifecycle_stage"),
        ],
    )
    assert store.issues(PEOPLE) == [
        RowIssue("not-an-email", "rejected", "invalid email", "email_addresses"),
        RowIssue("o'brien@x.io", "rejected", "the last word wins", "lifecycle_stage"),
    ]
    email_row, obrien_row = stored_rows(dbt_env, PEOPLE)
    assert email_row[1:4] == ("rejected", 1, "run-1")
    assert obrien_row[1:4] == ("rejected", 2, "run-2")
    first_seen_at, last_attempt_at = obrien_row[4:]
    assert first_seen_at == email_row[4]
    assert last_attempt_at > first_seen_at
    assert store.issues(COMPANIES) == []


def test_clear_issues_forgets_rows_that_synced(store: StateStore) -> None:
    issues = [RowIssue(f"key-{n}", "failed", "timeout", None) for n in range(3)]
    store.record_issues(PEOPLE, "run-1", issues)
    store.record_issues(COMPANIES, "run-1", issues[:1])
    store.clear_issues(PEOPLE, ["key-0", "key-2", "never-seen", "key-0"])
    store.clear_issues(PEOPLE, [])
    assert [issue.row_key for issue in store.issues(PEOPLE)] == ["key-1"]
    assert [issue.row_key for issue in store.issues(COMPANIES)] == ["key-0"]


def test_many_issues_go_in_several_statements(store: StateStore) -> None:
    issues = [RowIssue(f"key-{n:04d}", "rejected", "bad", None) for n in range(1203)]
    store.record_issues(PEOPLE, "run-1", issues)
    store.record_issues(PEOPLE, "run-2", issues[:600])
    assert store.issues(PEOPLE) == issues
    store.clear_issues(PEOPLE, [issue.row_key for issue in issues[1:]])
    assert store.issues(PEOPLE) == issues[:1]


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
        store.record_issues(model_id, "run-1", [RowIssue("k", "failed", "boom", None)])
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
