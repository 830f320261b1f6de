"""GET /objects/{object}/resources: ``filter[field][Operator]=value`` and page parameters.

Operators are case-sensitive words; collection fields support only a case-insensitive substring
test (``Contains`` / ``Does not contain``) and ``Is empty``, so a client that needs equality on
an email must check the returned records itself. Conditions are ANDed; there is no OR.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema
from dbt_clarify.emulator.problems import ApiError, Problem

OPERATORS = (
    "Is",
    "Is not",
    "Contains",
    "Does not contain",
    "Is empty",
    "Is not empty",
    "Is after",
    "Is before",
)
COLLECTION_OPERATORS = ("Contains", "Does not contain", "Is empty")
ORDERED_KINDS = ("date", "date-time", "number", "integer")
FILTER_PARAM = re.compile(r"^filter\[([^\[\]]+)\]\[([^\[\]]+)\]$")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
ALLOWED_PARAMS = frozenset({"page[limit]", "page[offset]"})


@dataclass(frozen=True)
class Condition:
    path: tuple[str, ...]
    field: FieldSchema
    operator: str
    value: Any

    def matches(self, record: dict[str, Any]) -> bool:
        actual: Any = record
        for part in self.path:
            actual = actual.get(part) if isinstance(actual, dict) else None
        if self.field.is_collection:
            items = actual.get("items", []) if isinstance(actual, dict) else []
            return self._test_collection([str(i) for i in items])
        return self._test_scalar(actual)

    def _test_collection(self, items: list[str]) -> bool:
        if self.operator == "Is empty":
            return not items
        found = any(self.value in item.lower() for item in items)
        return found if self.operator == "Contains" else not found

    def _test_scalar(self, actual: Any) -> bool:
        op = self.operator
        empty = actual is None or actual == ""
        if op in ("Is empty", "Is not empty"):
            return empty == (op == "Is empty")
        if op in ("Contains", "Does not contain"):
            found = isinstance(actual, str) and self.value in actual.lower()
            return found if op == "Contains" else not found
        if op == "Is":
            return not empty and _comparable(self.field, actual) == self.value
        if op == "Is not":
            return empty or _comparable(self.field, actual) != self.value
        if empty:
            return False
        value = _comparable(self.field, actual)
        return value > self.value if op == "Is after" else value < self.value


@dataclass(frozen=True)
class ListQuery:
    conditions: tuple[Condition, ...]
    limit: int
    offset: int

    def select(self, records: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        """This page of the matching records, and how many match in all."""
        matching = [r for r in records if all(c.matches(r) for c in self.conditions)]
        return matching[self.offset : self.offset + self.limit], len(matching)


def parse_list_query(schema: ObjectSchema, params: Sequence[tuple[str, str]]) -> ListQuery:
    """Read the query string, or raise a 400 listing every bad parameter."""
    problems: list[Problem] = []
    conditions = []
    seen: set[str] = set()
    for name, raw in params:
        if name in seen and name in ALLOWED_PARAMS:
            problems.append(Problem(400, f"{name} given more than once", parameter=name))
        seen.add(name)
        filter_match = FILTER_PARAM.match(name)
        if filter_match:
            condition = _condition(schema, filter_match[1], filter_match[2], raw, problems)
            if condition is not None:
                conditions.append(condition)
        elif name not in ALLOWED_PARAMS:
            problems.append(Problem(400, f"unknown query parameter {name!r}", parameter=name))
    limit = _page_number(params, "page[limit]", DEFAULT_LIMIT, 1, MAX_LIMIT, problems)
    offset = _page_number(params, "page[offset]", 0, 0, None, problems)
    if problems:
        raise ApiError(problems)
    return ListQuery(tuple(conditions), limit, offset)


def _page_number(
    params: Sequence[tuple[str, str]],
    name: str,
    default: int,
    minimum: int,
    maximum: int | None,
    problems: list[Problem],
) -> int:
    raw = next((value for key, value in params if key == name), None)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < minimum or (maximum is not None and int(raw) > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        problems.append(
            Problem(400, f"{name} must be an integer from {minimum}{upper}", parameter=name)
        )
        return default
    return int(raw)


def _condition(
    schema: ObjectSchema, path: str, operator: str, raw: str, problems: list[Problem]
) -> Condition | None:
    where = f"filter[{path}][{operator}]"
    field = schema.resolve(path)
    if field is None:
        problems.append(
            Problem(400, f"{schema.object} has no field {path!r} to filter on", parameter=where)
        )
        return None
    if operator not in OPERATORS:
        choices = ", ".join(OPERATORS)
        problems.append(
            Problem(
                400, f"unknown operator {operator!r} (case-sensitive: {choices})", parameter=where
            )
        )
        return None
    if field.is_object:
        problems.append(
            Problem(400, f"filter on a part of {path}, such as {path}.<part>", parameter=where)
        )
        return None
    if field.is_collection and operator not in COLLECTION_OPERATORS:
        choices = ", ".join(COLLECTION_OPERATORS)
        problems.append(Problem(400, f"{path} is a collection: only {choices}", parameter=where))
        return None
    try:
        value = _operand(field, operator, raw)
    except ValueError as exc:
        problems.append(Problem(400, f"{where}: {exc}", parameter=where))
        return None
    return Condition(tuple(path.split(".")), field, operator, value)


def _operand(field: FieldSchema, operator: str, raw: str) -> Any:
    """The filter value converted to what the stored values are compared with."""
    if operator in ("Is empty", "Is not empty"):
        return None
    if operator in ("Contains", "Does not contain"):
        if not field.is_collection and field.value_type != "string":
            raise ValueError(f"{operator} applies to text fields only")
        return raw.lower()
    if operator in ("Is after", "Is before") and _kind(field) not in ORDERED_KINDS:
        raise ValueError(f"{operator} applies to dates and numbers only")
    return _parse(field, raw)


def _kind(field: FieldSchema) -> str:
    return field.format if field.format in ("date", "date-time") else field.value_type


def _parse(field: FieldSchema, raw: str) -> Any:
    kind = _kind(field)
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "date-time":
        return _timestamp(raw)
    if kind == "number":
        return float(raw)
    if kind == "integer":
        return int(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError("a boolean filter value is true or false")
        return raw == "true"
    return raw


def _comparable(field: FieldSchema, stored: Any) -> Any:
    kind = _kind(field)
    if kind == "date":
        return date.fromisoformat(stored)
    if kind == "date-time":
        return _timestamp(stored)
    return stored


def _timestamp(raw: str) -> datetime:
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
