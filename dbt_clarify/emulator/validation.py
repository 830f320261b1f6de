"""Checks one record's attributes against its object's schema, as strictly as Clarify does.

Returns every problem rather than the first, each pointing at its field, so that a bulk answer
names all the bad values at once. Shape and type problems are 422; a number that does not fit
Clarify's DECIMAL(16,4) column is 400, as the API answers for out-of-range values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema
from dbt_clarify.emulator.problems import Problem

RecordExists = Callable[[str, str], bool]
"""(object, id) -> whether that record exists; used for relationship fields."""

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")
HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL_LIMIT = 10**12
DECIMAL_PLACES = 4
CASELESS_FORMATS = ("email", "hostname")
"""Formats whose values compare without case, in matching and in unique keys."""
NO_KEYS: frozenset[Any] = frozenset()


Error = tuple[int, str]
"""(status, detail) of one bad value; the caller knows where it is."""


@dataclass(frozen=True)
class FieldRule:
    """What one field accepts, derived once from its schema: validation runs for every value
    of every record written, so nothing is recomputed and nothing is allocated when it is fine."""

    name: str
    kind: str
    """collection | object | string | number | integer | boolean"""
    nullable: bool = True
    read_only: bool = False
    format: str | None = None
    enum: tuple[str, ...] | None = None
    relationship: str | None = None
    item: FieldRule | None = None
    parts: Mapping[str, FieldRule] = field(default_factory=dict)
    plain_text: bool = field(init=False, repr=False, compare=False)
    """A string with no enum, format or relationship: any str will do."""

    def __post_init__(self) -> None:
        plain = self.kind == "string" and not (self.enum or self.format or self.relationship)
        object.__setattr__(self, "plain_text", plain)

    @classmethod
    def of(cls, schema: FieldSchema) -> FieldRule:
        return cls(
            name=schema.name,
            kind=schema.value_type,
            nullable=schema.nullable,
            read_only=schema.read_only,
            format=schema.format,
            enum=tuple(map(str, schema.enum)) if schema.enum is not None else None,
            relationship=schema.relationship,
            item=cls.of(schema.item) if schema.item is not None else None,
            parts={k: cls.of(v) for k, v in schema.properties.items()} if schema.is_object else {},
        )

    def match_keys(self, value: Any) -> frozenset[Any]:
        """The values ``value`` holds as a unique index compares them; empty when it holds none."""
        if self.kind == "collection":
            items = value.get("items", ()) if isinstance(value, dict) else ()
            fmt = self.item.format if self.item is not None else None
            return frozenset([match_key(fmt, v) for v in items])
        if value is None or value == "":
            return NO_KEYS
        return frozenset((match_key(self.format, value),))

    def collect(self, value: Any, parent: str, exists: RecordExists, out: list[Problem]) -> None:
        """Append the problems of ``value`` (at ``parent``/name) to ``out``."""
        if self.kind == "object" and isinstance(value, dict):
            here = f"{parent}/{self.name}"
            for key, part_value in value.items():
                part = self.parts.get(key)
                if part is None:
                    known = ", ".join(self.parts)
                    detail = f"{self.name} has no field {key!r} (known: {known})"
                    out.append(Problem(422, detail, f"{here}/{key}"))
                else:
                    part.collect(part_value, here, exists, out)
            return
        error = self.error(value, exists)
        if error is not None:
            out.append(Problem(error[0], error[1], f"{parent}/{self.name}"))

    def error(self, value: Any, exists: RecordExists, index: int | None = None) -> Error | None:
        """Why ``value`` (item ``index`` of a collection) cannot be written here, or None."""
        if value is None:
            if self.nullable:
                return None
            hint = ' (clear a collection with {"items": []})' if self.kind == "collection" else ""
            return 422, f"{self._label(index)} cannot be null{hint}"
        if self.plain_text and isinstance(value, str):
            return None
        kind = self.kind
        if kind == "string":
            return self._text_error(value, exists, index)
        if kind == "collection":
            return self._collection_error(value, exists)
        if kind == "object":
            return 422, f"{self._label(index)} must be an object"
        if kind == "boolean":
            return None if isinstance(value, bool) else (422, f"{self.name} must be true or false")
        return _number_error(self._label(index), kind, value)

    def _label(self, index: int | None) -> str:
        return self.name if index is None else f"{self.name} item {index}"

    def _collection_error(self, value: Any, exists: RecordExists) -> Error | None:
        if isinstance(value, list):
            return 422, f'{self.name} must be {{"items": [...]}}, not a bare array'
        items = value.get("items") if isinstance(value, dict) and len(value) == 1 else None
        if not isinstance(items, list):
            return 422, f'{self.name} must be an object {{"items": [...]}}'
        item_rule = self.item
        assert item_rule is not None
        errors = []
        for index, item in enumerate(items):
            error = item_rule.error(item, exists, index)
            if error is not None:
                errors.append(error)
        if not errors:
            return None
        return max(status for status, _ in errors), "; ".join(detail for _, detail in errors)

    def _text_error(self, value: Any, exists: RecordExists, index: int | None) -> Error | None:
        if not isinstance(value, str):
            return 422, f"{self._label(index)} must be a string, got {type(value).__name__}"
        if self.enum is not None and value not in self.enum:
            allowed = ", ".join(self.enum)
            return 422, f"{self._label(index)}: {value!r} is not one of {allowed} (case-sensitive)"
        if self.format == "email" and not EMAIL.match(value):
            return 422, f"{self._label(index)}: {value!r} is not a valid email address"
        if self.format == "hostname" and not HOSTNAME.match(value):
            return 422, f"{self._label(index)}: {value!r} is not a bare domain such as acme.com"
        if self.format == "date" and not _is_iso_date(value):
            return 422, f"{self._label(index)}: {value!r} is not a date in YYYY-MM-DD form"
        if self.relationship and not exists(self.relationship, value):
            return 422, f"{self._label(index)}: no {self.relationship} with id {value!r}"
        return None


class ObjectRules:
    """What writes to one object must satisfy; built once per version of its schema."""

    def __init__(self, schema: ObjectSchema) -> None:
        self.object = schema.object
        self.fields = {name: FieldRule.of(f) for name, f in schema.fields.items()}
        self._writable = {
            name: rule
            for name, rule in self.fields.items()
            if not rule.read_only and not name.startswith("_")
        }
        self.required = schema.required
        self.unique = schema.unique_fields
        self.unique_rules = tuple(self.fields[name] for name in self.unique)

    def check(self, attributes: Any, pointer: str, exists: RecordExists) -> list[Problem]:
        """Every problem with writing ``attributes`` (a partial record) at ``pointer``."""
        if not isinstance(attributes, dict):
            return [Problem(422, "attributes must be an object", pointer)]
        problems: list[Problem] = []
        for name, value in attributes.items():
            rule = self._writable.get(name)
            if rule is not None:
                rule.collect(value, pointer, exists, problems)
            elif name.startswith("_") or name in self.fields:
                detail = f"{name} is a system field and cannot be written"
                problems.append(Problem(422, detail, f"{pointer}/{name}"))
            else:
                detail = f"{self.object} has no field {name!r}"
                problems.append(Problem(422, detail, f"{pointer}/{name}"))
        return problems


def _number_error(what: str, kind: str, value: Any) -> Error | None:
    numeric = (int,) if kind == "integer" else (int, float)
    if isinstance(value, bool) or not isinstance(value, numeric):
        return 422, f"{what} must be {'an integer' if kind == 'integer' else 'a number'}"
    if isinstance(value, int) and abs(value) < DECIMAL_LIMIT:
        return None
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    exponent = exact.normalize().as_tuple().exponent if exact.is_finite() else 0
    places = -exponent if isinstance(exponent, int) else 0
    if not exact.is_finite() or abs(exact) >= DECIMAL_LIMIT or places > DECIMAL_PLACES:
        return 400, (
            f"{what}: {value!r} does not fit DECIMAL(16,4) "
            f"(absolute value below 10^12, at most {DECIMAL_PLACES} decimal places)"
        )
    return None


def _is_iso_date(value: str) -> bool:
    if not ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def match_key(fmt: str | None, value: Any) -> Any:
    """How two values of a unique field (of format ``fmt``) compare: emails and domains
    ignore case."""
    if fmt in CASELESS_FORMATS and isinstance(value, str):
        return value.lower()
    return value
