"""The SQL each of the six adapters gets parses in that warehouse's dialect (sqlglot).

integration_tests is parsed with each adapter's profile (placeholder credentials, nothing
connects), the package's macros are rendered through that adapter's dispatch, and every
statement must parse as one statement of the warehouse's dialect, with no part that sqlglot
could only keep as an opaque command. Rules of one warehouse that a parser does not enforce
are checked on the parsed tree: BigQuery compares no TIMESTAMP with a DATETIME and takes no
WHERE without a FROM; Redshift's TEXT is VARCHAR(256).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from adapters.offline import DIALECTS, parse_offline
from dbt_clarify.state.store import uniform_columns

pytestmark = pytest.mark.adapters

STATE_SCHEMA = "dbt_clarify_it_clarify"
MODEL_ID = "model.integration_tests.clarify_people"
AWKWARD = "o'brien\\x@example.com\nsecond line"
"""A value with a quote, a backslash and a newline, as keys and reasons may hold."""

WATERMARKS = {
    "timestamp": "2024-03-10T02:30:00.123456",
    "timestamptz": "2024-11-03T01:30:00-04:00",
    "date": "2024-03-10",
    "number": "126",
}
"""A watermark's text for each kind of cursor column, as the reader writes it."""

CURSOR_TYPES = {
    "duckdb": ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE", "INTEGER"),
    "postgres": ("timestamp without time zone", "timestamp with time zone", "date", "integer"),
    "snowflake": ("TIMESTAMP_NTZ", "TIMESTAMP_TZ", "DATE", "NUMBER"),
    "bigquery": ("DATETIME", "TIMESTAMP", "DATE", "INT64"),
    "redshift": ("timestamp without time zone", "timestamp with time zone", "date", "integer"),
    "databricks": ("timestamp_ntz", "timestamp", "date", "bigint"),
}
"""The column types each adapter reports for the kinds of WATERMARKS, in that order."""

RELATION_PARTS = {
    "duckdb": ("offline", "main"),
    "postgres": ("analytics", "dbt_clarify_it"),
    "snowflake": ("analytics", "dbt_clarify_it"),
    "bigquery": ("placeholder-project", "dbt_clarify_it"),
    "redshift": ("analytics", "dbt_clarify_it"),
    "databricks": ("main", "dbt_clarify_it"),
}
"""(database, schema) of the sync models under each placeholder profile."""

MacroCall = tuple[str, dict[str, Any]]


def cursor_type(adapter_type: str, kind: str) -> str:
    return dict(zip(WATERMARKS, CURSOR_TYPES[adapter_type], strict=True))[kind]


def macro_calls(adapter_type: str, relation: str) -> dict[str, MacroCall]:
    """Every statement dbt-clarify renders, by case: the macro and its arguments."""
    ledger = {"schema": STATE_SCHEMA, "model_id": MODEL_ID, "schema_hash": "s1", "retry_limit": 3}
    rows: dict[str, Any] = {
        "relation": relation,
        "columns": ["email", "first_name", "updated_at"],
        "key": "email",
        "cursor": "updated_at",
        "cursor_type": cursor_type(adapter_type, "timestamp"),
        "salt": "m1",
    }
    state = {"schema": STATE_SCHEMA, "model_id": MODEL_ID}
    calls: dict[str, MacroCall] = {
        "changed_rows/full_refresh": ("changed_rows", rows),
        "changed_rows/first_sync": ("changed_rows", {**rows, "ledger": ledger}),
        "changed_rows/after_null_cursors": (
            "changed_rows",
            {**rows, "watermark_key": AWKWARD, "ledger": ledger},
        ),
        "changed_rows/without_cursor": (
            "changed_rows",
            {**rows, "cursor": None, "cursor_type": None, "watermark_key": "a", "ledger": ledger},
        ),
        "changed_rows/count_unchanged": (
            "changed_rows",
            {**rows, "ledger": ledger, "count": "unchanged"},
        ),
        "changed_rows/count_candidates": (
            "changed_rows",
            {**rows, "watermark_key": AWKWARD, "ledger": ledger, "count": "candidates"},
        ),
        "changed_rows/hash_columns": (
            "changed_rows",
            {**rows, "hash_columns": ["first_name"], "ledger": ledger},
        ),
        "state_tables_ddl": ("state_tables_ddl", {"schema": STATE_SCHEMA}),
        "dbt_results_ddl": ("dbt_results_ddl", {"schema": STATE_SCHEMA}),
        "select_watermark": ("select_watermark", {**state, "model_id": AWKWARD}),
        "save_watermark/null_cursor": (
            "save_watermark",
            {
                **state,
                "mapping_hash": "m1",
                "cursor_value": None,
                "key_value": AWKWARD,
                "updated_at": "2024-05-01 10:00:00.000001",
            },
        ),
        "save_watermark/untyped": (
            "save_watermark",
            {
                **state,
                "mapping_hash": "m1",
                "cursor_value": "abc",
                "key_value": "k",
                "updated_at": "2024-05-01 10:00:00",
            },
        ),
        "write_ledger_rows": (
            "write_ledger_rows",
            {
                **state,
                **ledger_write(
                    [ledger_row("a@x.io", "synced"), ledger_row(AWKWARD, "rejected")],
                    known_keys=["a@x.io", AWKWARD],
                ),
            },
        ),
        "write_ledger_rows/some_new": (
            "write_ledger_rows",
            {
                **state,
                **ledger_write(
                    [ledger_row("c@x.io", "synced"), ledger_row("b@x.io", "synced")],
                    known_keys=["c@x.io"],
                ),
            },
        ),
        "write_ledger_rows/all_new": (
            "write_ledger_rows",
            {**state, **ledger_write([ledger_row("b@x.io", "synced")], known_keys=[])},
        ),
        "select_row_issues": ("select_row_issues", state),
        "select_row_issues/by_key": ("select_row_issues", {**state, "row_keys": ["a", AWKWARD]}),
        "select_orphans": ("select_orphans", {**state, "relation": relation, "key": "email"}),
        "delete_ledger_rows": ("delete_ledger_rows", {**state, "row_keys": ["a", AWKWARD]}),
        "insert_sync_run": ("insert_sync_run", {"schema": STATE_SCHEMA, "run": sync_run()}),
        "select_sync_runs": ("select_sync_runs", {**state, "limit": 10}),
        "reset_sync_state": ("reset_sync_state", state),
        "insert_dbt_results": (
            "insert_dbt_results",
            {"schema": STATE_SCHEMA, "rows": [dbt_result(None), dbt_result(AWKWARD)]},
        ),
        "delete_dbt_results": (
            "delete_dbt_results",
            {"schema": STATE_SCHEMA, "before": "2024-04-01 00:00:00.000000"},
        ),
        "select_dbt_results": (
            "select_dbt_results",
            {"schema": STATE_SCHEMA, "model_ids": [MODEL_ID]},
        ),
    }
    for kind, watermark in WATERMARKS.items():
        after = {
            **rows,
            "cursor_type": cursor_type(adapter_type, kind),
            "watermark_cursor": watermark,
            "watermark_key": AWKWARD,
            "ledger": ledger,
        }
        calls[f"changed_rows/after_{kind}"] = ("changed_rows", after)
        for seconds in (5400, 2 * 86400):
            calls[f"changed_rows/lookback_{seconds}s_{kind}"] = (
                "changed_rows",
                {**after, "lookback_seconds": seconds},
            )
        calls[f"save_watermark/{kind}"] = (
            "save_watermark",
            {
                **state,
                "mapping_hash": "m1",
                "cursor_value": watermark,
                "key_value": AWKWARD,
                "updated_at": "2024-05-01 10:00:00",
                "cursor_type": cursor_type(adapter_type, kind),
            },
        )
    return calls


def ledger_write(rows: list[dict[str, Any]], known_keys: list[str]) -> dict[str, Any]:
    """``write_ledger_rows`` arguments for these rows, as the state store passes them."""
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    return {"columns": columns, "known_keys": known_keys, "uniform": uniform_columns(columns)}


def ledger_row(row_key: str, status: str) -> dict[str, Any]:
    troubled = status != "synced"
    return {
        "row_key": row_key,
        "status": status,
        "row_hash": "0cc175b9c0f1b6a831c399e269772661",
        "clarify_id": None if troubled else "rec_1",
        "reason": AWKWARD if troubled else None,
        "field": "email_addresses" if troubled else None,
        "schema_hash": "s1",
        "run_id": "run-1",
        "attempts": 1 if troubled else 0,
        "status_since": "2024-05-01 10:00:00",
        "last_attempt_at": "2024-05-01 10:00:00.5",
    }


def sync_run() -> dict[str, Any]:
    counts = ["rows_read", "created", "updated", "unchanged", "rejected", "failed", "requests"]
    return {
        "run_id": "run-1",
        "model_id": MODEL_ID,
        "started_at": "2024-05-01 10:00:00",
        "finished_at": None,
        "status": "success",
        **dict.fromkeys(counts, 3),
        "version": "0.1.0",
    }


def dbt_result(message: str | None) -> dict[str, Any]:
    return {
        "invocation_id": "inv-1",
        "invocation_started_at": "2024-05-01 09:00:00.000000",
        "recorded_at": "2024-05-01 09:05:00.000000",
        "model_id": MODEL_ID,
        "node_id": "test.integration_tests.not_null_clarify_people_email",
        "resource_type": "test",
        "status": "fail",
        "failures": None if message is None else 2,
        "message": message,
    }


CASES = list(macro_calls("duckdb", "relation"))
"""The case names, the same for every adapter."""


@dataclass(frozen=True)
class AdapterSql:
    """What one adapter's profile made of integration_tests and the package's macros."""

    adapter_type: str
    relations: dict[str, str]
    """Sync model name -> its relation name."""
    statements: dict[str, list[str]]
    """Case -> the statements rendered for it."""


@pytest.fixture(scope="session")
def adapter_sql(offline_project_dir: Path) -> Callable[[str], AdapterSql]:
    """Parse and render once per adapter and session, on first use."""
    rendered: dict[str, AdapterSql] = {}

    def for_adapter(adapter_type: str) -> AdapterSql:
        if adapter_type not in rendered:
            project = parse_offline(offline_project_dir, adapter_type)
            assert project.adapter_type == adapter_type
            relations = {
                node.name: node.relation_name or "" for node in project.select(["tag:clarify"])
            }
            statements = {}
            for case, (macro, kwargs) in macro_calls(
                adapter_type, relations["clarify_people"]
            ).items():
                sql = project.render_offline(macro, **kwargs)
                statements[case] = [sql] if isinstance(sql, str) else sql
            rendered[adapter_type] = AdapterSql(adapter_type, relations, statements)
        return rendered[adapter_type]

    return for_adapter


def parsed(sql: str, adapter_type: str) -> exp.Expr:
    """``sql`` as one statement of the adapter's dialect; raises on any parse error."""
    expressions = sqlglot.parse(sql, read=DIALECTS[adapter_type], error_level=ErrorLevel.RAISE)
    assert len(expressions) == 1, f"expected one statement, got {len(expressions)}:\n{sql}"
    (expression,) = expressions
    assert expression is not None, f"an empty statement:\n{sql}"
    commands = [node.sql() for node in expression.find_all(exp.Command)]
    assert not commands, f"sqlglot kept parts it could not parse as commands: {commands}\n{sql}"
    return expression


def statements(adapter_sql: AdapterSql, prefixes: tuple[str, ...] = ("",)) -> list[str]:
    return [
        statement
        for case, rendered in adapter_sql.statements.items()
        if case.startswith(prefixes)
        for statement in rendered
    ]


@pytest.mark.parametrize("adapter_type", DIALECTS)
def test_dbt_parses_the_project_and_selects_the_sync_models(
    adapter_sql: Callable[[str], AdapterSql], adapter_type: str
) -> None:
    relations = adapter_sql(adapter_type).relations
    assert sorted(relations) == ["clarify_companies", "clarify_people"]
    for name, relation in relations.items():
        table = parsed(f"select 1 from {relation}", adapter_type).find(exp.Table)
        assert table is not None
        assert (table.catalog, table.db, table.name) == (*RELATION_PARTS[adapter_type], name)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("adapter_type", DIALECTS)
def test_each_statement_parses_in_the_warehouse_dialect(
    adapter_sql: Callable[[str], AdapterSql], adapter_type: str, case: str
) -> None:
    rendered = adapter_sql(adapter_type).statements[case]
    assert rendered
    for sql in rendered:
        parsed(sql, adapter_type)


@pytest.mark.parametrize("adapter_type", DIALECTS)
def test_string_literals_read_back_as_the_value(
    adapter_sql: Callable[[str], AdapterSql], adapter_type: str
) -> None:
    """Quotes, backslashes and newlines survive each warehouse's escaping rules."""
    rendered = adapter_sql(adapter_type).statements
    for case in ("select_watermark", "changed_rows/after_timestamp", "delete_ledger_rows"):
        (sql,) = rendered[case]
        literals = {
            node.this for node in parsed(sql, adapter_type).find_all(exp.Literal) if node.is_string
        }
        assert AWKWARD in literals, f"{case}: {sorted(literals)}"


@pytest.mark.parametrize("adapter_type", DIALECTS)
def test_a_ledger_write_looks_only_for_keys_the_ledger_may_hold(
    adapter_sql: Callable[[str], AdapterSql], adapter_type: str
) -> None:
    rendered = adapter_sql(adapter_type).statements
    delete, insert = rendered["write_ledger_rows/some_new"]
    assert parsed(delete, adapter_type).key == "delete"
    assert "c@x.io" in delete
    assert "b@x.io" not in delete
    assert "c@x.io" in insert
    assert "b@x.io" in insert
    (only_insert,) = rendered["write_ledger_rows/all_new"]
    assert parsed(only_insert, adapter_type).key == "insert"


@pytest.mark.parametrize("adapter_type", DIALECTS)
def test_a_ledger_write_gives_a_value_all_rows_share_once_where_columns_go_as_json(
    adapter_sql: Callable[[str], AdapterSql], adapter_type: str
) -> None:
    _, insert = adapter_sql(adapter_type).statements["write_ledger_rows/some_new"]
    # Both rows: status 'synced', run 'run-1'; each its own key.
    once = adapter_type in ("duckdb", "postgres")
    assert insert.count("run-1") == (1 if once else 2)
    assert insert.count("c@x.io") == 1


def test_bigquery_takes_no_where_without_a_from(
    adapter_sql: Callable[[str], AdapterSql],
) -> None:
    for sql in statements(adapter_sql("bigquery")):
        for select in parsed(sql, "bigquery").find_all(exp.Select):
            clauses = [type(clause) for clause in select.args.values()]
            assert exp.From in clauses or exp.Where not in clauses, sql


BIGQUERY_TABLES = {
    "relation": {"email": "STRING", "first_name": "STRING"},
    "clarify_sync_rows": {
        "model_id": "STRING",
        "row_key": "STRING",
        "status": "STRING",
        "row_hash": "STRING",
        "attempts": "INT64",
        "schema_hash": "STRING",
        "last_attempt_at": "TIMESTAMP",
    },
    "clarify_sync_state": {
        "model_id": "STRING",
        "mapping_hash": "STRING",
        "cursor_value": "STRING",
        "key_value": "STRING",
        "updated_at": "TIMESTAMP",
    },
}


@pytest.mark.parametrize("kind", ["timestamp", "timestamptz", "date"])
def test_bigquery_compares_cursors_with_values_of_their_own_type(
    adapter_sql: Callable[[str], AdapterSql], kind: str
) -> None:
    """BigQuery does not coerce between TIMESTAMP, DATETIME and DATE in a comparison."""
    bigquery = adapter_sql("bigquery")
    relation = parsed(f"select 1 from {bigquery.relations['clarify_people']}", "bigquery")
    table = relation.find(exp.Table)
    assert table is not None
    cursor = {"updated_at": cursor_type("bigquery", kind)}
    schema: dict[str, object] = {
        table.catalog: {
            table.db: {table.name: {**BIGQUERY_TABLES["relation"], **cursor}},
            STATE_SCHEMA: {
                name: columns for name, columns in BIGQUERY_TABLES.items() if name != "relation"
            },
        }
    }
    checked = 0
    for case, rendered in bigquery.statements.items():
        if not (case.startswith(("changed_rows/", "save_watermark/")) and case.endswith(kind)):
            continue
        for sql in rendered:
            typed = annotate_types(
                qualify(parsed(sql, "bigquery"), schema=schema, dialect="bigquery"),
                schema=schema,
                dialect="bigquery",
            )
            for comparison in typed.find_all(exp.GT, exp.GTE, exp.EQ):
                left, right = comparison.left.type, comparison.right.type
                if (
                    left is None
                    or right is None
                    or exp.DataType.Type.UNKNOWN
                    in (
                        left.this,
                        right.this,
                    )
                ):
                    continue
                if left.is_type(*exp.DataType.TEMPORAL_TYPES) or right.is_type(
                    *exp.DataType.TEMPORAL_TYPES
                ):
                    checked += 1
                    # Compared as BigQuery names them: sqlglot has two names for DATETIME.
                    assert left.sql("bigquery") == right.sql("bigquery"), (
                        f"{case}: {comparison.sql('bigquery')}"
                    )
    assert checked >= 3


def test_redshift_text_columns_hold_text_of_any_length(
    adapter_sql: Callable[[str], AdapterSql],
) -> None:
    """Redshift reads TEXT and a bare VARCHAR as VARCHAR(256), too short for reasons and for a
    row's hashed text: text columns and casts are VARCHAR(MAX)."""
    checked = 0
    for sql in statements(adapter_sql("redshift")):
        for node in parsed(sql, "redshift").find_all(exp.DataType):
            if node.is_type(*exp.DataType.TEXT_TYPES):
                checked += 1
                sizes = [param.name.upper() for param in node.expressions]
                assert (node.this, sizes) == (exp.DataType.Type.VARCHAR, ["MAX"]), sql
    assert checked > 100
