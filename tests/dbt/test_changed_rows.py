"""The changed-rows reader: keyset watermark, ties at a batch boundary, lookback, NULLs, dupes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import pytest

from dbt_clarify.dbt import DbtProject, ModelNode, streams
from dbt_clarify.engine.reader import (
    ChangedRow,
    LedgerFilter,
    RowCount,
    RowSelection,
    count_rows,
    read_changed_rows,
    watermark_text,
)
from dbt_clarify.state import LedgerEntry, StateStore, Watermark
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

T1 = "2024-05-01 09:00:00"
T2 = "2024-05-01 10:00:00"
T3 = "2024-05-01 11:00:00"
LEDGER_SCHEMA = "changed_rows_clarify"


def set_people(dbt_env: DbtEnv, rows: Sequence[tuple[str | None, str | None]]) -> None:
    """Replace clarify_people's rows with (email, updated_at) pairs."""
    dbt_env.sql("delete from clarify_people")
    placeholders = ", ".join("(?, cast(? as timestamp))" for _ in rows)
    parameters = [value for row in rows for value in row]
    dbt_env.sql(f"insert into clarify_people (email, updated_at) values {placeholders}", parameters)


_LOADED: dict[tuple[Path, str], tuple[DbtProject, ModelNode]] = {}
"""The test's parsed project and selected model: its reads change rows, never the models."""


@pytest.fixture(autouse=True)
def _forget_loaded_projects() -> Iterator[None]:
    yield
    _LOADED.clear()


@pytest.fixture(autouse=True, params=["sorted whole", "sorted in parts"])
def spool_sort(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every read both ways DuckDB may sort it: whole, or a part of the cursor's range at a time
    (a part per row of the model, at most 64, so that ties and NULLs straddle the parts). Other
    warehouses sort in the warehouse, and never in parts."""
    if request.param == "sorted whole" or "dbt_env" not in request.fixturenames:
        yield
        return
    parted = request.getfixturevalue("dbt_env").warehouse.target == "duckdb"
    copies: list[str] = []
    parted_copy = streams._parted_copy

    def counted(*args: Any, **kwargs: Any) -> str:
        copies.append(parted_copy(*args, **kwargs))
        return copies[-1]

    monkeypatch.setattr(streams, "PART_ROWS", 1)
    monkeypatch.setattr(streams, "_parted_copy", counted)
    yield
    assert bool(copies) == parted


def _loaded(dbt_env: DbtEnv, model: str) -> tuple[DbtProject, ModelNode]:
    key = (dbt_env.project_dir, model)
    if key not in _LOADED:
        project = DbtProject.load(dbt_env.options())
        (node,) = project.select([model])
        _LOADED[key] = (project, node)
    return _LOADED[key]


def read(
    dbt_env: DbtEnv,
    watermark: Watermark | None = None,
    *,
    model: str = "clarify_people",
    columns: Sequence[str] = ("email",),
    cursor: str | None = "updated_at",
    key: str = "email",
    lookback_seconds: int = 0,
    batch_size: int = 100,
    first_batch_only: bool = False,
    ledger: Sequence[LedgerEntry] | None = None,
    counts: dict[RowCount, int] | None = None,
) -> list[list[ChangedRow]]:
    """The rows read; with ``ledger``, filtered by a ledger holding those entries.

    ``counts``, when given, receives the selection's candidate and unchanged row counts.
    """
    project, node = _loaded(dbt_env, model)
    with project.connect() as warehouse:
        ledger_filter = None
        if ledger is not None:
            store = StateStore(warehouse, LEDGER_SCHEMA)
            store.ensure()
            store.record_rows(node.unique_id, "run-1", ledger)
            ledger_filter = LedgerFilter(LEDGER_SCHEMA, node.unique_id, "s1", retry_limit=3)
        real = {c.name: c.data_type for c in warehouse.columns(node)}
        selection = RowSelection(
            node=node,
            columns=columns,
            cursor=cursor,
            key=key,
            cursor_type=real[cursor] if cursor else None,
            watermark=watermark,
            lookback_seconds=lookback_seconds,
            hash_columns=columns,
            salt="",
            ledger=ledger_filter,
        )
        if counts is not None:
            for count in get_args(RowCount):
                counts[count] = count_rows(warehouse, selection, count)
        changed = read_changed_rows(warehouse, selection, batch_size)
        assert changed.columns == list(columns)
        with changed:
            batches = []
            for batch in changed:
                batches.append(batch)
                if first_batch_only:
                    break
    return batches


def flat(batches: list[list[ChangedRow]]) -> list[ChangedRow]:
    return [row for batch in batches for row in batch]


def keys(batches: list[list[ChangedRow]]) -> list[str]:
    return [row.key_value for row in flat(batches)]


def after(row: ChangedRow) -> Watermark:
    return Watermark(cursor_value=row.cursor_value, key_value=row.key_value, mapping_hash="h")


def test_every_seed_row_in_cursor_then_key_order(dbt_env: DbtEnv) -> None:
    columns = ("first_name", "email", "lifecycle_stage")
    rows = flat(read(dbt_env, columns=columns))
    expected = dbt_env.sql(
        "select first_name, email, lifecycle_stage, updated_at, coalesce(email, '')"
        " from clarify_people order by updated_at, coalesce(email, '')"
    )
    assert [row.values for row in rows] == [tuple(row[:3]) for row in expected]
    assert [row.key_value for row in rows] == [row[4] for row in expected]
    assert [row.cursor_value for row in rows] == [row[3].isoformat() for row in expected]
    assert len(rows) == 301


def test_a_key_seen_twice_marks_the_earlier_row_superseded(dbt_env: DbtEnv) -> None:
    superseded = [row for row in flat(read(dbt_env)) if row.superseded]
    assert [(row.key_value, row.cursor_value) for row in superseded] == [
        ("john@soylent.ai", "2024-03-01T21:01:52")
    ]


def test_superseded_compares_trimmed_lower_case_keys_among_selected_rows(
    dbt_env: DbtEnv,
) -> None:
    set_people(
        dbt_env,
        [(" Jane@X.com ", T1), ("jane@x.com", T3), ("JANE@X.COM", T2), ("other@x.com", T2)],
    )
    rows = flat(read(dbt_env))
    assert [(row.key_value, row.superseded) for row in rows] == [
        (" Jane@X.com ", True),
        ("JANE@X.COM", True),
        ("other@x.com", False),
        ("jane@x.com", False),
    ]
    resumed = flat(read(dbt_env, after(rows[0])))
    assert [(row.key_value, row.superseded) for row in resumed] == [
        ("JANE@X.COM", True),
        ("other@x.com", False),
        ("jane@x.com", False),
    ]
    assert [row.key_value for row in flat(read(dbt_env, after(rows[2])))] == ["jane@x.com"]
    assert not flat(read(dbt_env, after(rows[2])))[0].superseded


def test_a_key_is_known_when_the_ledger_holds_it_or_another_row_shares_it(
    dbt_env: DbtEnv,
) -> None:
    """Only known keys are looked for when the sync writes their ledger entries."""
    set_people(
        dbt_env,
        [("new@x.com", T1), ("held@x.com", T1), ("Twice@x.com", T1), ("twice@x.com", T2)],
    )
    held = LedgerEntry("held@x.com", "synced", row_hash="an older hash")
    with_ledger = flat(read(dbt_env, ledger=[held]))
    assert sorted((row.key_value, row.known) for row in with_ledger) == [
        ("Twice@x.com", True),
        ("held@x.com", True),
        ("new@x.com", False),
        ("twice@x.com", True),
    ]
    # Without the ledger (a full refresh) any key may be in it.
    assert all(row.known for row in flat(read(dbt_env)))


def test_candidates_are_the_rows_read_and_the_unchanged_ones(dbt_env: DbtEnv) -> None:
    """A sync that reads every row counts the unchanged ones as candidates less rows read."""
    set_people(dbt_env, [("a@x.io", T1), ("b@x.io", T1), ("c@x.io", T2), ("d@x.io", T3)])
    hashes = {row.key_value: row.row_hash for row in flat(read(dbt_env))}
    ledger = [
        LedgerEntry("a@x.io", "synced", row_hash=hashes["a@x.io"]),  # behind the watermark
        LedgerEntry("b@x.io", "failed", row_hash=hashes["b@x.io"]),  # retried whatever its cursor
        LedgerEntry("c@x.io", "synced", row_hash=hashes["c@x.io"]),  # unchanged
        LedgerEntry("d@x.io", "synced", row_hash="an older hash"),  # changed
    ]
    watermark = Watermark(cursor_value=T1, key_value="b@x.io", mapping_hash="h")
    counts: dict[RowCount, int] = {}
    rows = flat(read(dbt_env, watermark, ledger=ledger, counts=counts))
    assert [row.key_value for row in rows] == ["b@x.io", "d@x.io"]
    assert counts == {"candidates": 3, "unchanged": 1}


def test_rows_sharing_a_cursor_value_survive_a_batch_boundary(dbt_env: DbtEnv) -> None:
    set_people(
        dbt_env,
        [("e@x.io", T3), ("c@x.io", T2), ("a@x.io", T1), ("d@x.io", T2), ("b@x.io", T2)],
    )
    assert [len(batch) for batch in read(dbt_env, batch_size=2)] == [2, 2, 1]
    # A sync that stops after each batch and resumes from the watermark of that batch's last row.
    watermark, delivered = None, []
    while batch := next(iter(read(dbt_env, watermark, batch_size=2, first_batch_only=True)), []):
        delivered.append([row.key_value for row in batch])
        watermark = after(batch[-1])
    assert delivered == [["a@x.io", "b@x.io"], ["c@x.io", "d@x.io"], ["e@x.io"]]
    assert watermark == Watermark(
        cursor_value="2024-05-01T11:00:00", key_value="e@x.io", mapping_hash="h"
    )


def test_resuming_reads_new_and_updated_rows_only(dbt_env: DbtEnv) -> None:
    set_people(dbt_env, [("a@x.io", T1), ("b@x.io", T2)])
    watermark = after(flat(read(dbt_env))[-1])
    assert read(dbt_env, watermark) == []
    dbt_env.sql("insert into clarify_people (email, updated_at) values ('c@x.io', ?)", [T3])
    dbt_env.sql("update clarify_people set updated_at = '2024-05-02' where email = 'a@x.io'")
    dbt_env.sql("insert into clarify_people (email, updated_at) values ('old@x.io', ?)", [T1])
    assert keys(read(dbt_env, watermark)) == ["c@x.io", "a@x.io"]


def test_microseconds_and_quotes_in_the_watermark_cast_back_exactly(dbt_env: DbtEnv) -> None:
    set_people(
        dbt_env,
        [
            ("o'brien@x.io", "2024-05-01 10:00:00.123456"),
            ("p@x.io", "2024-05-01 10:00:00.123456"),
            ("q@x.io", "2024-05-01 10:00:00.123457"),
        ],
    )
    first = flat(read(dbt_env))[0]
    assert first.cursor_value == "2024-05-01T10:00:00.123456"
    assert first.key_value == "o'brien@x.io"
    assert keys(read(dbt_env, after(first))) == ["p@x.io", "q@x.io"]


def test_lookback_rereads_rows_committed_late_with_an_older_cursor(dbt_env: DbtEnv) -> None:
    set_people(dbt_env, [("a@x.io", T1), ("b@x.io", T2), ("c@x.io", T3)])
    watermark = after(flat(read(dbt_env))[-1])
    dbt_env.sql(
        "insert into clarify_people (email, updated_at) values ('late@x.io', ?)",
        ["2024-05-01 10:50:00"],
    )
    assert read(dbt_env, watermark) == []
    assert keys(read(dbt_env, watermark, lookback_seconds=15 * 60)) == ["late@x.io", "c@x.io"]
    assert keys(read(dbt_env, watermark, lookback_seconds=3600)) == [
        "b@x.io",
        "late@x.io",
        "c@x.io",
    ]


def read_companies(
    dbt_env: DbtEnv, watermark: Watermark | None = None, lookback_seconds: int = 0
) -> list[tuple[int, str]]:
    """(employee_count, domain) of the rows read with employee_count as the cursor."""
    batches = read(
        dbt_env,
        watermark,
        model="clarify_companies",
        columns=("name",),
        cursor="employee_count",
        key="domain",
        lookback_seconds=lookback_seconds,
    )
    return [(int(row.cursor_value or "0"), row.key_value) for row in flat(batches)]


def test_lookback_on_a_numeric_cursor_subtracts_units(dbt_env: DbtEnv) -> None:
    counts = dbt_env.sql("select employee_count, domain from clarify_companies")
    assert read_companies(dbt_env) == sorted(counts)
    watermark = Watermark(cursor_value="126", key_value="globex.io", mapping_hash="h")
    assert read_companies(dbt_env, watermark) == sorted(
        row for row in counts if row > (126, "globex.io")
    )
    assert read_companies(dbt_env, watermark, lookback_seconds=10) == sorted(
        row for row in counts if row[0] >= 116
    )


def test_null_cursors_come_first_and_only_without_a_watermark(dbt_env: DbtEnv) -> None:
    set_people(dbt_env, [("b@x.io", T1), ("n2@x.io", None), ("n1@x.io", None), (None, T2)])
    rows = flat(read(dbt_env))
    assert [(row.key_value, row.cursor_value) for row in rows] == [
        ("n1@x.io", None),
        ("n2@x.io", None),
        ("b@x.io", "2024-05-01T09:00:00"),
        ("", "2024-05-01T10:00:00"),
    ]
    assert keys(read(dbt_env, after(rows[0]))) == ["n2@x.io", "b@x.io", ""]
    assert keys(read(dbt_env, after(rows[2]))) == [""]


def test_without_a_cursor_every_row_is_read_in_key_order(dbt_env: DbtEnv) -> None:
    set_people(dbt_env, [("b@x.io", T1), ("a@x.io", T2)])
    rows = flat(read(dbt_env, after(flat(read(dbt_env))[-1]), cursor=None))
    assert [(row.key_value, row.cursor_value) for row in rows] == [
        ("a@x.io", None),
        ("b@x.io", None),
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        (datetime(2024, 5, 1, 10, 0, 0, 5), "2024-05-01T10:00:00.000005"),
        (datetime.fromisoformat("2024-05-01T10:00:00+02:00"), "2024-05-01T10:00:00+02:00"),
        (datetime(2024, 5, 1).date(), "2024-05-01"),
        (42, "42"),
        (0.1, "0.1"),
    ],
)
def test_watermark_text(value: object, text: str | None) -> None:
    assert watermark_text(value) == text
