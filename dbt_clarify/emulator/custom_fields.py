"""What POST /schemas/{object}/properties accepts as a custom field definition.

Clarify creates fields of a few kinds only: text (optionally a date or a select of fixed
values), number, integer and boolean. Anything else is refused up front so that a client never
relies on a field type the real API would not create.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from dbt_clarify.emulator.problems import Problem

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED_NAMES = frozenset({"id", "type"})
SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean"})
STRING_FORMATS = frozenset({"date"})
DEFINITION_KEYS = frozenset({"type", "title", "description", "format", "enum"})


def check_definitions(attributes: Any, existing: Collection[str], pointer: str) -> list[Problem]:
    """Every problem with a ``{name: definition}`` map; existing names are a 400 conflict."""
    if not isinstance(attributes, dict) or not attributes:
        return [
            Problem(422, "attributes must map at least one field name to a definition", pointer)
        ]
    problems: list[Problem] = []
    for name, definition in attributes.items():
        at = f"{pointer}/{name}"
        if not FIELD_NAME.match(name) or name in RESERVED_NAMES:
            problems.append(
                Problem(422, f"{name!r} is not a valid field name (snake_case, a-z first)", at)
            )
        elif name in existing:
            problems.append(Problem(400, f"field {name!r} already exists", at))
        else:
            problems.extend(_check_definition(definition, at))
    return problems


def _check_definition(definition: Any, at: str) -> list[Problem]:
    if not isinstance(definition, dict):
        return [Problem(422, "a field definition must be an object", at)]
    unknown = sorted(set(definition) - DEFINITION_KEYS)
    if unknown:
        return [Problem(422, f"unsupported keys in field definition: {', '.join(unknown)}", at)]
    raw_type = definition.get("type")
    types = [raw_type] if isinstance(raw_type, str) else raw_type
    if not isinstance(types, list) or not types:
        return [Problem(422, "type is required", f"{at}/type")]
    kinds = [t for t in types if t != "null"]
    if len(kinds) != 1 or kinds[0] not in SCALAR_TYPES or len(types) - len(kinds) > 1:
        allowed = ", ".join(sorted(SCALAR_TYPES))
        return [Problem(422, f"type must be one of {allowed}, optionally with null", f"{at}/type")]
    kind = kinds[0]
    problems: list[Problem] = []
    if "format" in definition and (kind != "string" or definition["format"] not in STRING_FORMATS):
        problems.append(Problem(422, "format is only 'date', on a string field", f"{at}/format"))
    if "enum" in definition:
        problems.extend(_check_enum(definition["enum"], kind, "format" in definition, at))
    for key in ("title", "description"):
        if key in definition and not isinstance(definition[key], str):
            problems.append(Problem(422, f"{key} must be a string", f"{at}/{key}"))
    return problems


def _check_enum(enum: Any, kind: str, has_format: bool, at: str) -> list[Problem]:
    if kind != "string" or has_format:
        return [Problem(422, "enum is only allowed on a plain string field", f"{at}/enum")]
    values = [v for v in enum if v is not None] if isinstance(enum, list) else []
    if not values or not all(isinstance(v, str) and v for v in values):
        return [Problem(422, "enum must list non-empty strings", f"{at}/enum")]
    if len(set(values)) != len(values):
        return [Problem(422, "enum values must be distinct", f"{at}/enum")]
    return []
