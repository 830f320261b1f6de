"""Warehouse column types and Clarify field types, in the few kinds that decide whether they fit.

Each warehouse spells its types its own way (``VARCHAR``, ``character varying``, ``STRING``,
``NUMBER(38,0)``, ``TIMESTAMP_NTZ``); they are read here into kinds, and each Clarify field says
which kinds it holds. A type this module does not know is not judged: it may well fit.
"""

from __future__ import annotations

import re
from typing import Literal

from dbt_clarify.clarify.schema import FieldSchema

ColumnKind = Literal[
    "text", "integer", "number", "boolean", "date", "timestamp", "time", "array", "structured"
]

_SPELLINGS: dict[ColumnKind, str] = {
    "text": "varchar, char, character, character varying, nvarchar, nchar, bpchar, text, string, "
    "citext, uuid, name, clob",
    "integer": "int, integer, bigint, smallint, tinyint, hugeint, ubigint, uinteger, usmallint, "
    "utinyint, uhugeint, byteint, int1, int2, int4, int8, int16, int32, int64, int128, long, "
    "short, serial, bigserial",
    "number": "decimal, numeric, number, bignumeric, float, float4, float8, float32, float64, "
    "double, double precision, real, money",
    "boolean": "bool, boolean, logical",
    "date": "date",
    "timestamp": "timestamp, timestamptz, timestamp with time zone, timestamp without time zone, "
    "timestamp_ntz, timestamp_ltz, timestamp_tz, timestamp_s, timestamp_ms, timestamp_ns, "
    "datetime, datetime2",
    "time": "time, timetz, time with time zone, time without time zone",
    "array": "array, list",
    "structured": "json, jsonb, variant, object, super, struct, map, record, union",
}
"""Type names as adapters report them (lower case, parameters removed), by kind."""
_NAMES: dict[str, ColumnKind] = {
    name.strip(): kind for kind, names in _SPELLINGS.items() for name in names.split(",")
}
_PARAMETERS = re.compile(r"\s*[(<].*\Z", re.DOTALL)
_SCALE_ZERO = re.compile(r"\(\s*\d+\s*,\s*0\s*\)")
_SCALARS: frozenset[ColumnKind] = frozenset(
    ("text", "integer", "number", "boolean", "date", "timestamp", "time")
)
_NUMBERS: frozenset[ColumnKind] = frozenset(("integer", "number"))
_KINDS_BY_VALUE_TYPE: dict[str, frozenset[ColumnKind]] = {
    "string": _SCALARS,
    "integer": _NUMBERS,
    "number": _NUMBERS,
    "boolean": frozenset(("boolean", "integer")),
}
"""What a plain field of each JSON type takes; a text field takes any scalar, written out."""


def column_kind(data_type: str | None) -> ColumnKind | None:
    """The kind of a column's SQL type, or None for a type not recognised (or not given)."""
    if not data_type or not data_type.strip():
        return None
    written = " ".join(data_type.strip().lower().split())
    if written.endswith("[]"):  # DuckDB's VARCHAR[], Postgres' text[]
        return "array"
    kind = _NAMES.get(_PARAMETERS.sub("", written))
    if kind == "number" and _SCALE_ZERO.search(written):
        return "integer"  # NUMBER(38,0), DECIMAL(18,0): whole numbers
    return kind


def field_kinds(field: FieldSchema) -> frozenset[ColumnKind] | None:
    """The column kinds a field takes without a cast, or None when it cannot be told."""
    if field.item is not None:
        items = field_kinds(field.item)
        return None if items is None else items | {"array", "structured"}
    if field.enum or field.relationship:
        return frozenset(("text", "integer", "boolean") if field.enum else ("text",))
    if field.format in ("email", "hostname", "idn-hostname"):
        return frozenset({"text"})
    if field.format == "date":
        return frozenset({"date", "timestamp"})
    return _KINDS_BY_VALUE_TYPE.get(field.value_type)


def field_holds(field: FieldSchema) -> str:
    """What a field holds, in words for a message: "whole numbers", "dates (YYYY-MM-DD)"."""
    if field.item is not None:
        return f"a list of {field_holds(field.item)}"
    if field.enum:
        return "one of its options"
    if field.relationship:
        return f"the id of a {field.relationship}"
    if field.format == "email":
        return "email addresses"
    if field.format in ("hostname", "idn-hostname"):
        return "domains"
    if field.format == "date":
        return "dates (YYYY-MM-DD)"
    return {
        "integer": "whole numbers",
        "number": "numbers",
        "boolean": "true or false",
    }.get(field.value_type, "text")


def suggested_cast(field: FieldSchema) -> str:
    """A portable SQL type that fits the field, for a hint: ``cast(x as integer)``."""
    if field.item is not None:
        return suggested_cast(field.item)
    if field.format == "date":
        return "date"
    if field.enum or field.relationship or field.format:
        return "varchar"
    return {"integer": "integer", "number": "numeric", "boolean": "boolean"}.get(
        field.value_type, "varchar"
    )
