"""Cursors with and without a time zone compare with the watermark as values, on DuckDB and
PostgreSQL, in a session whose time zone has daylight saving time.

In New York on 2024-11-03 the clocks went back: 01:30 happened twice, at 05:30 and at 06:30
UTC. A watermark kept as wall-clock text would lose or repeat rows there; kept with its offset
it names one instant. Timestamps without a zone are wall-clock values and must compare as they
are, whatever the session's zone, even at 02:30 on 2024-03-10, which New York skipped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone

import pytest

from dbt_clarify.dbt import DbtProject
from dbt_clarify.engine.reader import ChangedRow, RowSelection, read_changed_rows
from dbt_clarify.state import StateStore, Watermark
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

ZONE = "America/New_York"
PEOPLE = "model.integration_tests.clarify_people"
MARK_KEY = "b@x.io"


@pytest.fixture
def new_york_sessions() -> Iterator[None]:
    """Warehouse sessions opened from here on run in New York time (DuckDB reads TZ when a
    connection opens, libpq reads PGTZ)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", ZONE)
        patch.setenv("PGTZ", ZONE)
        time.tzset()
        yield
    time.tzset()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


AROUND_FALL_BACK = [
    ("a@x.io", utc("2024-11-03 05:00:00")),  # 01:00 EDT
    ("a0@x.io", utc("2024-11-03 05:30:00")),  # 01:30 EDT, the watermark's instant, key before
    (MARK_KEY, utc("2024-11-03 05:30:00")),  # the watermark
    ("c@x.io", utc("2024-11-03 05:30:00")),  # the watermark's instant, key after
    ("d@x.io", utc("2024-11-03 06:00:00")),  # 01:00 EST: earlier on the wall, later in time
    ("e@x.io", utc("2024-11-03 06:30:00")),  # 01:30 EST: the watermark's wall-clock time again
    ("f@x.io", utc("2024-11-03 06:30:00.000001")),
]

AROUND_SPRING_FORWARD = [
    ("a@x.io", datetime(2024, 3, 10, 1, 59, 59, 999999)),
    ("a0@x.io", datetime(2024, 3, 10, 2, 30)),
    (MARK_KEY, datetime(2024, 3, 10, 2, 30)),  # the watermark: a wall-clock time New York skipped
    ("c@x.io", datetime(2024, 3, 10, 2, 30)),
    ("d@x.io", datetime(2024, 3, 10, 2, 30, 0, 1)),
    ("e@x.io", datetime(2024, 3, 10, 3, 0)),
]
AFTER_THE_MARK = ["c@x.io", "d@x.io", "e@x.io"]


def set_people(dbt_env: DbtEnv, cursor: str, rows: Sequence[tuple[str, object]]) -> None:
    dbt_env.sql("delete from clarify_people")
    for email, value in rows:
        dbt_env.sql(f"insert into clarify_people (email, {cursor}) values (?, ?)", [email, value])


def add_zoned_cursor(dbt_env: DbtEnv) -> None:
    dbt_env.sql("alter table clarify_people add column seen_at timestamp with time zone")


def read(project: DbtProject, cursor: str, watermark: Watermark | None) -> list[ChangedRow]:
    (node,) = project.select(["clarify_people"])
    with project.connect() as warehouse:
        types = {column.name: column.data_type for column in warehouse.columns(node)}
        selection = RowSelection(
            node=node,
            columns=("email",),
            cursor=cursor,
            key="email",
            cursor_type=types[cursor],
            watermark=watermark,
            lookback_seconds=0,
            hash_columns=("email",),
            salt="",
            ledger=None,
        )
        with read_changed_rows(warehouse, selection, batch_size=100) as changed:
            return [row for batch in changed for row in batch]


def mark_of(rows: list[ChangedRow]) -> Watermark:
    (row,) = [row for row in rows if row.key_value == MARK_KEY]
    return Watermark(cursor_value=row.cursor_value, key_value=row.key_value, mapping_hash="h")


def test_a_zoned_cursor_keeps_its_offset_across_the_fall_back_hour(
    dbt_env: DbtEnv, new_york_sessions: None
) -> None:
    add_zoned_cursor(dbt_env)
    set_people(dbt_env, "seen_at", AROUND_FALL_BACK)
    project = DbtProject.load(dbt_env.options())
    everything = read(project, "seen_at", None)
    assert [row.key_value for row in everything] == [email for email, _ in AROUND_FALL_BACK]
    mark = mark_of(everything)
    assert mark.cursor_value == "2024-11-03T01:30:00-04:00"
    assert [row.key_value for row in read(project, "seen_at", mark)] == [
        *AFTER_THE_MARK,
        "f@x.io",
    ]
    # The same instant written in another offset is the same watermark.
    in_utc = Watermark(
        cursor_value="2024-11-03T05:30:00+00:00", key_value=MARK_KEY, mapping_hash="h"
    )
    assert [row.key_value for row in read(project, "seen_at", in_utc)] == [
        *AFTER_THE_MARK,
        "f@x.io",
    ]
    second_half_hour = [row for row in everything if row.key_value == "e@x.io"]
    assert second_half_hour[0].cursor_value == "2024-11-03T01:30:00-05:00"


def test_a_cursor_without_a_zone_compares_as_wall_clock_time(
    dbt_env: DbtEnv, new_york_sessions: None
) -> None:
    set_people(dbt_env, "updated_at", AROUND_SPRING_FORWARD)
    project = DbtProject.load(dbt_env.options())
    everything = read(project, "updated_at", None)
    assert [row.key_value for row in everything] == [email for email, _ in AROUND_SPRING_FORWARD]
    mark = mark_of(everything)
    assert mark.cursor_value == "2024-03-10T02:30:00"
    assert [row.key_value for row in read(project, "updated_at", mark)] == AFTER_THE_MARK


@pytest.mark.parametrize(
    ("saved", "offered", "kept"),
    [
        # A later instant moves the mark, though its wall-clock text sorts first.
        ("2024-11-03T01:30:00-04:00", "2024-11-03T01:00:00-05:00", "2024-11-03T01:00:00-05:00"),
        # An earlier instant never moves it back, though its text sorts last.
        ("2024-11-03T01:00:00-05:00", "2024-11-03T01:45:00-04:00", "2024-11-03T01:00:00-05:00"),
        # The same instant in another offset: the key decides.
        ("2024-11-03T01:30:00-04:00", "2024-11-03T05:30:00+00:00", "2024-11-03T05:30:00+00:00"),
    ],
)
def test_the_saved_watermark_moves_forward_in_time_not_in_text(
    dbt_env: DbtEnv, new_york_sessions: None, saved: str, offered: str, kept: str
) -> None:
    add_zoned_cursor(dbt_env)
    project = DbtProject.load(dbt_env.options())
    (node,) = project.select(["clarify_people"])
    with project.connect() as warehouse:
        zoned = {column.name: column.data_type for column in warehouse.columns(node)}["seen_at"]
        store = StateStore(warehouse, "analytics_clarify")
        store.save_watermark(PEOPLE, Watermark(saved, "k1", "h"), cursor_type=zoned)
        store.save_watermark(PEOPLE, Watermark(offered, "k2", "h"), cursor_type=zoned)
        assert store.watermark(PEOPLE) == Watermark(kept, "k2" if kept == offered else "k1", "h")
