"""The warehouse connection on DuckDB and PostgreSQL: macros, statements, streaming, columns,
escaping."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dbt_clarify.dbt import (
    ColumnInfo,
    DbtProject,
    ModelNode,
    PartedSort,
    Warehouse,
    duckdb_limits,
    streams,
)
from dbt_clarify.dbt.duckdb_limits import SYNC_CHECKPOINT_THRESHOLD, SYNC_MEMORY_LIMIT
from dbt_clarify.errors import ConfigError, ExitCode, WarehouseError
from support.dbt_project import DbtEnv
from support.warehouses import DuckDBFile

pytestmark = pytest.mark.dbt

PEOPLE_COLUMNS = "email first_name last_name title company_domain lifecycle_stage updated_at"
VARCHAR, TEXT, TIMESTAMP = "character varying", "text", "timestamp without time zone"
PEOPLE_COLUMN_TYPES = {
    "duckdb": ["VARCHAR"] * 6 + ["TIMESTAMP"],
    # PostgreSQL types nullif(varchar, '') as text: title and company_domain.
    "postgres": [VARCHAR, VARCHAR, VARCHAR, TEXT, TEXT, VARCHAR, TIMESTAMP],
}


def people_node(project: DbtProject) -> ModelNode:
    (node,) = project.select(["clarify_people"])
    return node


def qualified(project: DbtProject, name: str) -> str:
    """``name`` in the target schema: dbt's own connection has no search path of ours."""
    return f"{project.target_schema}.{name}"


def test_columns_come_from_the_warehouse(dbt_project: DbtProject) -> None:
    node = people_node(dbt_project)
    with dbt_project.connect() as warehouse:
        columns = warehouse.columns(node)
    types = PEOPLE_COLUMN_TYPES[dbt_project.adapter_type]
    assert columns == [
        ColumnInfo(name, type_) for name, type_ in zip(PEOPLE_COLUMNS.split(), types, strict=True)
    ]


def test_columns_of_a_model_not_built_is_a_config_error(
    dbt_env: DbtEnv, dbt_project: DbtProject
) -> None:
    node = people_node(dbt_project)
    dbt_env.sql("drop table clarify_people")
    with dbt_project.connect() as warehouse, pytest.raises(ConfigError) as raised:
        warehouse.columns(node)
    assert "dbt build --select clarify_people" in (raised.value.hint or "")


def test_stream_yields_batches_of_the_requested_size(dbt_project: DbtProject) -> None:
    people = qualified(dbt_project, "clarify_people")
    with dbt_project.connect() as warehouse:
        stream = warehouse.stream(
            f"select email, updated_at from {people} order by updated_at, email", 128
        )
        assert stream.columns == ["email", "updated_at"]
        batches = list(stream)
        assert stream.closed
    assert [len(batch) for batch in batches] == [128, 128, 45]
    rows = [row for batch in batches for row in batch]
    assert all(isinstance(row, tuple) and len(row) == 2 for row in rows)
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)


def test_statements_between_batches_do_not_disturb_a_stream(dbt_project: DbtProject) -> None:
    people, progress = (qualified(dbt_project, name) for name in ("clarify_people", "progress"))
    with dbt_project.connect() as warehouse:
        warehouse.execute(f"create table {progress} (batch_rows integer)")
        seen = 0
        for batch in warehouse.stream(f"select * from {people}", 100):
            seen += len(batch)
            warehouse.execute(f"insert into {progress} values ({len(batch)})")
            assert warehouse.query(f"select sum(batch_rows) from {progress}") == [(seen,)]
    assert seen == 301


def test_a_stream_closed_early_frees_its_cursor(dbt_project: DbtProject) -> None:
    people = qualified(dbt_project, "clarify_people")
    with dbt_project.connect() as warehouse:
        with warehouse.stream(f"select * from {people}", 10) as stream:
            first = next(iter(stream))
        assert len(first) == 10
        assert stream.closed
        assert warehouse.query(f"select count(*) from {people}") == [(301,)]


def test_execute_runs_statements_in_one_transaction(dbt_project: DbtProject) -> None:
    t = qualified(dbt_project, "t")
    with dbt_project.connect() as warehouse:
        warehouse.execute(
            [f"create table {t} (x integer primary key)", f"insert into {t} values (1)"]
        )
        with pytest.raises(WarehouseError) as raised:
            warehouse.execute([f"insert into {t} values (2)", f"insert into {t} values (1)"])
        assert raised.value.exit_code == ExitCode.WAREHOUSE
        assert "\n" not in raised.value.message
        assert warehouse.query(f"select x from {t} order by x") == [(1,)]


def test_a_bad_query_is_a_warehouse_error_and_the_connection_stays_usable(
    dbt_project: DbtProject,
) -> None:
    missing = qualified(dbt_project, "no_such_table")
    with dbt_project.connect() as warehouse:
        with pytest.raises(WarehouseError, match="no_such_table"):
            warehouse.query(f"select * from {missing}")
        with pytest.raises(WarehouseError, match="no_such_table"):
            warehouse.stream(f"select * from {missing}", 10)
        assert warehouse.query("select 1") == [(1,)]


def test_render_returns_the_package_sql(dbt_env: DbtEnv, dbt_project: DbtProject) -> None:
    schema = {  # PostgreSQL rejects a database-qualified name in create schema
        "duckdb": f'"{dbt_env.warehouse.database}"."analytics_clarify"',
        "postgres": '"analytics_clarify"',
    }[dbt_project.adapter_type]
    with dbt_project.connect() as warehouse:
        ddl = warehouse.render("state_tables_ddl", schema="analytics_clarify")
        assert isinstance(ddl, list)
        assert ddl[0] == f"create schema if not exists {schema}"
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
        sql = warehouse.render("select_watermark", schema=dbt_project.target_schema, model_id=value)
        assert isinstance(sql, str)
        literal = sql.split("where model_id = ", 1)[1]
        assert warehouse.query(f"select {literal}") == [(value,)]


@pytest.mark.warehouses("duckdb")
def test_a_duckdb_file_locked_past_the_wait_is_a_warehouse_error(dbt_env: DbtEnv) -> None:
    assert isinstance(dbt_env.warehouse, DuckDBFile)
    project = DbtProject.load(dbt_env.options(lock_wait_s=1.0))
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); input()"
    with subprocess.Popen(
        [sys.executable, "-c", hold, str(dbt_env.warehouse.path)],
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


WIDE_SORT = (
    "select repeat(cast(i as varchar), 40) as wide, i from range(200000) r(i) order by wide, i"
)
"""A sort that runs out of a DuckDB memory limit of a few megabytes."""
SETTINGS = ("memory_limit", "threads", "checkpoint_threshold")
"""The DuckDB settings a sync chooses unless the profile does (see ``duckdb_limits``)."""
SETTINGS_QUERY = "select name, value from duckdb_settings() where name in ({})".format(
    ", ".join(f"'{name}'" for name in SETTINGS)
)


def _duckdb_settings(warehouse: Warehouse) -> dict[str, str]:
    return dict(warehouse.query(SETTINGS_QUERY))


def _duckdb_default_settings() -> dict[str, str]:
    import duckdb

    return dict(duckdb.connect().execute(SETTINGS_QUERY).fetchall())


def as_duckdb_shows(name: str, value: str) -> str:
    """How DuckDB shows the setting ``name`` once set to ``value`` (it rounds to its units)."""
    import duckdb

    connection = duckdb.connect()
    connection.execute(f"set {name} = {value}")
    return str(connection.execute(f"select current_setting('{name}')").fetchone()[0])


SYNC_SETTINGS = {
    "memory_limit": as_duckdb_shows("memory_limit", f"'{SYNC_MEMORY_LIMIT}'"),
    "threads": "1",
    "checkpoint_threshold": as_duckdb_shows(
        "checkpoint_threshold", f"'{SYNC_CHECKPOINT_THRESHOLD}'"
    ),
}


@pytest.mark.warehouses("duckdb")
def test_a_duckdb_file_is_read_with_a_small_memory_limit_and_one_thread(
    dbt_project: DbtProject,
) -> None:
    with dbt_project.connect() as warehouse:
        settings = _duckdb_settings(warehouse)
    assert settings == SYNC_SETTINGS
    assert settings["memory_limit"] != _duckdb_default_settings()["memory_limit"]


@pytest.mark.warehouses("duckdb")
def test_a_duckdb_file_folds_its_write_ahead_log_less_often_while_a_sync_writes(
    dbt_project: DbtProject,
) -> None:
    with dbt_project.connect() as warehouse:
        threshold = _duckdb_settings(warehouse)["checkpoint_threshold"]
    default = _duckdb_default_settings()["checkpoint_threshold"]
    assert threshold == SYNC_SETTINGS["checkpoint_threshold"]
    assert _megabytes(threshold) > _megabytes(default)


def _megabytes(shown: str) -> float:
    """A size as DuckDB shows it (``15.2 MiB``, ``61.0 MiB``) in megabytes."""
    number, unit = shown.split()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[unit]


def _profile_settings(dbt_env: DbtEnv, **settings: str) -> DbtProject:
    profiles = dbt_env.project_dir / "profiles.yml"
    lines = "".join(f"        {name}: {value}\n" for name, value in settings.items())
    profiles.write_text(
        profiles.read_text().replace(
            "      threads: 4\n    postgres:",
            f"      threads: 4\n      settings:\n{lines}    postgres:",
        )
    )
    return DbtProject.load(dbt_env.options())


@pytest.mark.warehouses("duckdb")
def test_duckdb_settings_in_the_profile_are_kept(dbt_env: DbtEnv) -> None:
    project = _profile_settings(dbt_env, memory_limit="300MB", checkpoint_threshold="8MB")
    with project.connect() as warehouse:
        settings = _duckdb_settings(warehouse)
    assert settings == {
        "memory_limit": as_duckdb_shows("memory_limit", "'300MB'"),
        "threads": "1",
        "checkpoint_threshold": as_duckdb_shows("checkpoint_threshold", "'8MB'"),
    }


@pytest.mark.warehouses("duckdb")
def test_a_memory_limit_from_the_profile_is_never_lifted(dbt_env: DbtEnv) -> None:
    with _profile_settings(dbt_env, memory_limit="2MB").connect() as warehouse:
        with pytest.raises(WarehouseError, match=r"(?i)out of memory"):
            warehouse.stream(WIDE_SORT, 50_000)
        settings = _duckdb_settings(warehouse)
    assert settings == {**SYNC_SETTINGS, "memory_limit": as_duckdb_shows("memory_limit", "'2MB'")}


@pytest.fixture
def small_duckdb_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync memory cap small enough that sorting WIDE_SORT runs out of it."""
    monkeypatch.setitem(duckdb_limits.CAPPED_SETTINGS, "memory_limit", "'2MB'")


@pytest.mark.warehouses("duckdb")
@pytest.mark.usefixtures("small_duckdb_cap")
def test_a_read_too_large_for_the_duckdb_cap_runs_again_without_it(
    dbt_project: DbtProject,
) -> None:
    with dbt_project.connect() as warehouse:
        rows = [row for batch in warehouse.stream(WIDE_SORT, 50_000) for row in batch]
        after = _duckdb_settings(warehouse)
    assert len(rows) == 200_000
    assert rows == sorted(rows)
    # The memory cap is lifted; the write-ahead log keeps its larger threshold.
    defaults = _duckdb_default_settings()
    assert after == {**defaults, "checkpoint_threshold": SYNC_SETTINGS["checkpoint_threshold"]}


@pytest.mark.warehouses("duckdb")
@pytest.mark.usefixtures("small_duckdb_cap")
def test_a_query_out_of_the_cap_inside_a_transaction_fails_with_its_own_error(
    dbt_project: DbtProject,
) -> None:
    # dbt rolls the transaction back: a second run would land alone, the block's start gone.
    with dbt_project.connect() as warehouse:

        def checkpoint() -> None:
            with warehouse.transaction("a checkpoint"):
                warehouse.execute(f"create table {qualified(dbt_project, 'part')} (n integer)")
                warehouse.query(WIDE_SORT)

        with pytest.raises(WarehouseError, match=r"(?i)out of memory"):
            checkpoint()
        assert not warehouse.has_table(dbt_project.target_schema, "part")
        assert len(warehouse.query(WIDE_SORT)) == 200_000  # outside one, it runs again uncapped


@pytest.fixture
def spools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary directory for the test, where DuckDB reads spool their rows."""
    path = tmp_path / "spools"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


@pytest.mark.warehouses("duckdb")
def test_duckdb_rows_come_through_a_spool_file_that_is_gone_once_read(
    dbt_project: DbtProject, spools: Path
) -> None:
    huge = 2**100 + 1  # a HUGEINT, which Parquet alone would round to a double
    sql = f"select i, cast({huge} as hugeint) + i as big from range(5000) r(i) order by i desc"
    with dbt_project.connect() as warehouse:
        stream = warehouse.stream(sql, 2000)
        assert [path.name for path in spools.glob("dbt-clarify-rows-*/*")] == ["rows.parquet"]
        rows = [row for batch in stream for row in batch]
        assert list(spools.iterdir()) == []
        warehouse.stream(sql, 10).close()  # closed before it is read
        assert list(spools.iterdir()) == []
    assert rows == [(i, huge + i) for i in reversed(range(5000))]


@pytest.mark.warehouses("duckdb")
def test_a_large_duckdb_read_is_spooled_unsorted_a_part_at_a_time_and_read_back_in_order(
    dbt_project: DbtProject, spools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = 2**100 + 1
    table = qualified(dbt_project, "parted_rows")
    order_by = "case when c is null then 0 else 1 end, c, i"
    unsorted = f"select i, cast({huge} as hugeint) + i as big, c from {table}"
    parted = PartedSort(
        unsorted_sql=unsorted,
        order_by=order_by,
        split_column="c",
        split_values=f"select c from {table}",
    )
    monkeypatch.setattr(streams, "PART_ROWS", 500)
    with dbt_project.connect() as warehouse:
        # Skewed and tied cursor values, every 11th NULL.
        warehouse.execute(
            f"create table {table} as select i, case when i % 11 = 0 then null"
            " else (i * i) % 997 end as c from range(5000) r(i)"
        )
        whole = warehouse.query(f"{unsorted} order by {order_by}")
        stream = warehouse.stream(f"{unsorted} order by {order_by}", 700, parted=parted)
        parts = sorted(path.name for path in spools.glob("dbt-clarify-rows-*/parts/*"))
        rows = [row for batch in stream for row in batch]
        assert list(spools.iterdir()) == []
    assert stream.columns == ["i", "big", "c"]
    assert len(parts) == 10 + 1  # 5,000 rows in parts of 500, and the NULLs' own
    assert rows == [tuple(row) for row in whole]
    assert len(rows) == 5000
    assert rows[0] == (0, huge, None)


@pytest.mark.warehouses("duckdb")
def test_a_parted_read_sorts_its_parts_with_the_databases_collation(
    dbt_project: DbtProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = qualified(dbt_project, "collated_rows")
    order_by = "case when c is null then 0 else 1 end, c, k"
    unsorted = f"select k, c from {table}"
    parted = PartedSort(unsorted, order_by, "c", f"select c from {table}")
    monkeypatch.setattr(streams, "PART_ROWS", 1)
    with dbt_project.connect() as warehouse:
        # Under NOCASE 'a' < 'B' < 'c'; compared byte by byte, 'B' comes first.
        warehouse.execute("set default_collation = 'nocase'")
        warehouse.execute(
            f"create table {table} as select * from (values ('c', 1), ('B', 1),"
            " ('a', 1), ('z', 2)) t(k, c)"
        )
        stream = warehouse.stream(f"{unsorted} order by {order_by}", 10, parted=parted)
        rows = [row for batch in stream for row in batch]
        whole = [tuple(row) for row in warehouse.query(f"{unsorted} order by {order_by}")]
    assert [key for key, _ in rows] == ["a", "B", "c", "z"]
    assert rows == whole


@pytest.mark.warehouses("duckdb")
def test_a_read_removes_the_spools_of_killed_syncs_only(
    dbt_project: DbtProject, spools: Path
) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    killed = spools / f"dbt-clarify-rows-{int(ended.stdout)}-abc"
    running = spools / f"dbt-clarify-rows-{os.getppid()}-def"
    for spool in (killed, running):
        spool.mkdir()
        (spool / "rows.parquet").write_bytes(b"rows")
    with dbt_project.connect() as warehouse:
        warehouse.stream("select 1", 10).close()
    assert list(spools.iterdir()) == [running]
