"""The warehouse connection on DuckDB: macros, statements, streaming, columns, escaping."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dbt_clarify.dbt import ColumnInfo, DbtProject, ModelNode
from dbt_clarify.errors import ConfigError, ExitCode, WarehouseError
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt


def people_node(project: DbtProject) -> ModelNode:
    (node,) = project.select(["clarify_people"])
    return node


def test_columns_come_from_the_warehouse(dbt_project: DbtProject) -> None:
    node = people_node(dbt_project)
    with dbt_project.connect() as warehouse:
        columns = warehouse.columns(node)
    assert columns == [
        ColumnInfo("email", "VARCHAR"),
        ColumnInfo("first_name", "VARCHAR"),
        ColumnInfo("last_name", "VARCHAR"),
        ColumnInfo("title", "VARCHAR"),
        ColumnInfo("company_domain", "VARCHAR"),
        ColumnInfo("lifecycle_stage", "VARCHAR"),
        ColumnInfo("updated_at", "TIMESTAMP"),
    ]


def test_columns_of_a_model_not_built_is_a_config_error(
    dbt_env: DbtEnv, dbt_project: DbtProject
) -> None:
    node = people_node(dbt_project)
    dbt_env.sql("drop table main.clarify_people")
    with dbt_project.connect() as warehouse, pytest.raises(ConfigError) as raised:
        warehouse.columns(node)
    assert "dbt build --select clarify_people" in (raised.value.hint or "")


def test_stream_yields_batches_of_the_requested_size(dbt_project: DbtProject) -> None:
    with dbt_project.connect() as warehouse:
        stream = warehouse.stream(
            "select email, updated_at from main.clarify_people order by updated_at, email", 128
        )
        assert stream.columns == ["email", "updated_at"]
        batches = list(stream)
        assert stream.closed
    assert [len(batch) for batch in batches] == [128, 128, 45]
    rows = [row for batch in batches for row in batch]
    assert all(isinstance(row, tuple) and len(row) == 2 for row in rows)
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)


def test_statements_between_batches_do_not_disturb_a_stream(dbt_project: DbtProject) -> None:
    with dbt_project.connect() as warehouse:
        warehouse.execute("create table main.progress (batch_rows integer)")
        seen = 0
        for batch in warehouse.stream("select * from main.clarify_people", 100):
            seen += len(batch)
            warehouse.execute(f"insert into main.progress values ({len(batch)})")
            assert warehouse.query("select sum(batch_rows) from main.progress") == [(seen,)]
    assert seen == 301


def test_a_stream_closed_early_frees_its_cursor(dbt_project: DbtProject) -> None:
    with dbt_project.connect() as warehouse:
        with warehouse.stream("select * from main.clarify_people", 10) as stream:
            first = next(iter(stream))
        assert len(first) == 10
        assert stream.closed
        assert warehouse.query("select count(*) from main.clarify_people") == [(301,)]


def test_execute_runs_statements_in_one_transaction(dbt_project: DbtProject) -> None:
    with dbt_project.connect() as warehouse:
        warehouse.execute(
            ["create table main.t (x integer primary key)", "insert into main.t values (1)"]
        )
        with pytest.raises(WarehouseError) as raised:
            warehouse.execute(["insert into main.t values (2)", "insert into main.t values (1)"])
        assert raised.value.exit_code == ExitCode.WAREHOUSE
        assert "\n" not in raised.value.message
        assert warehouse.query("select x from main.t order by x") == [(1,)]


def test_a_bad_query_is_a_warehouse_error_and_the_connection_stays_usable(
    dbt_project: DbtProject,
) -> None:
    with dbt_project.connect() as warehouse:
        with pytest.raises(WarehouseError, match="no_such_table"):
            warehouse.query("select * from main.no_such_table")
        with pytest.raises(WarehouseError, match="no_such_table"):
            warehouse.stream("select * from main.no_such_table", 10)
        assert warehouse.query("select 1") == [(1,)]


def test_render_returns_the_package_sql(dbt_project: DbtProject) -> None:
    with dbt_project.connect() as warehouse:
        ddl = warehouse.render("state_tables_ddl", schema="main_clarify")
        assert isinstance(ddl, list)
        assert ddl[0] == 'create schema if not exists "integration_tests"."main_clarify"'
        assert [statement.split("(")[0].split(".")[-1].strip() for statement in ddl[1:]] == [
            '"clarify_sync_state"',
            '"clarify_sync_runs"',
            '"clarify_sync_rows"',
        ]
        with pytest.raises(ConfigError, match="has no macro no_such_macro") as raised:
            warehouse.render("no_such_macro")
        assert "dbt deps" in (raised.value.hint or "")


@pytest.mark.parametrize(
    "value",
    ["plain", "siobhan.o'brien@stark.net", "''", "a\\'b", "back\\slash", "'; drop table x; --"],
)
def test_string_literals_survive_quotes(dbt_project: DbtProject, value: str) -> None:
    with dbt_project.connect() as warehouse:
        sql = warehouse.render("select_watermark", schema="main", model_id=value)
        assert isinstance(sql, str)
        literal = sql.split("where model_id = ", 1)[1]
        assert warehouse.query(f"select {literal}") == [(value,)]


def test_a_locked_duckdb_file_is_a_warehouse_error(dbt_env: DbtEnv) -> None:
    project = DbtProject.load(dbt_env.options())
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"
    with subprocess.Popen(
        [sys.executable, "-c", hold, str(dbt_env.duckdb_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        try:
            with pytest.raises(WarehouseError) as raised, project.connect():
                pass
        finally:
            holder.communicate("\n", timeout=30)
    assert "cannot connect to the duckdb warehouse of target 'duckdb'" in raised.value.message
    assert "lock" in raised.value.message
    assert "dbt build" in (raised.value.hint or "")
