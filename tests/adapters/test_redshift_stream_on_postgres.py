"""Redshift's way of streaming, run on PostgreSQL, whose cursors Redshift's are modelled on.

redshift_connector reads a whole result into memory when a query runs, so a Redshift stream
declares a cursor in a transaction of a connection of its own and fetches it page by page,
never more than Redshift's 1,000 rows a FETCH. Here that code runs through dbt-postgres's
connection and psycopg2 (redshift_connector itself speaks only to Redshift): the rows arrive
whole and in order across page and batch boundaries while dbt's connection writes and commits
state between batches, and the stream's connection is gone once it closes.
"""

from __future__ import annotations

import pytest

from dbt_clarify.dbt import DbtProject, streams
from dbt_clarify.errors import WarehouseError
from dbt_clarify.state import LedgerEntry, StateStore, Watermark
from support.dbt_project import DbtEnv

pytestmark = [pytest.mark.dbt, pytest.mark.warehouses("postgres")]

PEOPLE = "model.integration_tests.clarify_people"


def stream_connections(dbt_env: DbtEnv) -> int:
    return dbt_env.sql(
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and query like 'fetch forward%'"
    )[0][0]


def test_pages_of_a_declared_cursor_survive_state_commits(
    dbt_env: DbtEnv, dbt_project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(streams.OPENERS, "postgres", streams.OPENERS["redshift"])
    monkeypatch.setattr(streams, "REDSHIFT_FETCH_LIMIT", 7)
    expected = dbt_env.sql(
        "select email, updated_at from clarify_people order by updated_at, email"
    )
    people = f"{dbt_project.target_schema}.clarify_people"
    batches = []
    with dbt_project.connect() as warehouse:
        store = StateStore(warehouse, "analytics_clarify")
        stream = warehouse.stream(
            f"select email, updated_at from {people} order by updated_at, email", 20
        )
        for batch in stream:
            batches.append(batch)
            assert stream_connections(dbt_env) == 1
            key, cursor = batch[-1]
            store.record_rows(PEOPLE, "run-1", [LedgerEntry(key or "", "synced", "h")])
            store.save_watermark(PEOPLE, Watermark(cursor.isoformat(), key or "", "h"))
        assert stream.columns == ["email", "updated_at"]
        assert stream.closed
    assert stream_connections(dbt_env) == 0
    assert [len(batch) for batch in batches[:-1]] == [20] * (len(expected) // 20)
    assert [row for batch in batches for row in batch] == expected
    assert dbt_env.sql("select count(*) from analytics_clarify.clarify_sync_rows")[0][0] == len(
        batches
    )


def test_a_failing_query_leaves_no_connection_behind(
    dbt_env: DbtEnv, dbt_project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(streams.OPENERS, "postgres", streams.OPENERS["redshift"])
    count = "select count(*) from pg_stat_activity where datname = current_database()"
    with dbt_project.connect() as warehouse:
        before = dbt_env.sql(count)
        with pytest.raises(WarehouseError, match="no_such_table"):
            warehouse.stream("select * from no_such_table", 10)
        assert dbt_env.sql(count) == before
