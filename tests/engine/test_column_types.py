"""Column types as each adapter spells them, and which Clarify fields take them."""

from __future__ import annotations

import pytest

from dbt_clarify.clarify.schema import FieldSchema
from dbt_clarify.engine.column_types import column_kind, field_holds, field_kinds, suggested_cast


@pytest.mark.parametrize(
    ("data_type", "kind"),
    [
        ("VARCHAR", "text"),
        ("character varying(255)", "text"),
        ("STRING", "text"),
        ("TEXT", "text"),
        ("INTEGER", "integer"),
        ("BIGINT", "integer"),
        ("INT64", "integer"),
        ("NUMBER(38,0)", "integer"),
        ("DECIMAL(18, 0)", "integer"),
        ("NUMBER(38,2)", "number"),
        ("numeric", "number"),
        ("DOUBLE", "number"),
        ("double precision", "number"),
        ("FLOAT64", "number"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP", "timestamp"),
        ("timestamp with time zone", "timestamp"),
        ("TIMESTAMP_NTZ(9)", "timestamp"),
        ("DATETIME", "timestamp"),
        ("TIME", "time"),
        ("VARCHAR[]", "array"),
        ("ARRAY<STRING>", "array"),
        ("STRUCT<a INT64>", "structured"),
        ("jsonb", "structured"),
        ("VARIANT", "structured"),
        ("GEOGRAPHY", None),
        ("", None),
        (None, None),
    ],
)
def test_column_kind_reads_each_adapters_spelling(data_type: str | None, kind: str | None) -> None:
    assert column_kind(data_type) == kind


def _field(**raw: object) -> FieldSchema:
    return FieldSchema.from_json("f", raw)


NUMBER = _field(type=["number", "null"])
INTEGER = _field(type=["integer", "null"])
TEXT = _field(type=["string", "null"])
DATE = _field(type=["string", "null"], format="date")
BOOLEAN = _field(type=["boolean", "null"])
SELECT = _field(type=["string", "null"], enum=["Lead", "Customer", None])
EMAILS = _field(
    type="object",
    properties={"items": {"type": "array", "items": {"type": "string", "format": "email"}}},
)


@pytest.mark.parametrize(
    ("field", "fits", "misfits"),
    [
        (NUMBER, {"integer", "number"}, {"text", "date", "timestamp", "boolean", "structured"}),
        (INTEGER, {"integer", "number"}, {"text", "date", "boolean"}),
        (TEXT, {"text", "integer", "number", "date", "timestamp"}, {"array", "structured"}),
        (DATE, {"date", "timestamp"}, {"text", "integer", "number"}),
        (BOOLEAN, {"boolean", "integer"}, {"text", "number", "date"}),
        (SELECT, {"text"}, {"number", "date", "timestamp", "array"}),
        (EMAILS, {"text", "array"}, {"integer", "number", "date"}),
    ],
)
def test_each_field_takes_its_kinds_and_no_others(
    field: FieldSchema, fits: set[str], misfits: set[str]
) -> None:
    kinds = field_kinds(field)
    assert kinds is not None
    assert fits <= kinds
    assert not misfits & kinds


def test_words_and_casts_for_messages() -> None:
    assert field_holds(NUMBER) == "numbers"
    assert field_holds(DATE) == "dates (YYYY-MM-DD)"
    assert field_holds(SELECT) == "one of its options"
    assert field_holds(EMAILS) == "a list of email addresses"
    assert suggested_cast(INTEGER) == "integer"
    assert suggested_cast(DATE) == "date"
    assert suggested_cast(SELECT) == "varchar"
