"""Clarify field names as a block writes them, and where each one lives in an object's schema.

Clarify's warehouse guide still uses the older person fields ``first_name``, ``last_name`` and
``title``; blocks may use them, and they are read as today's ``name.first_name``,
``name.last_name`` and ``job_title``. Where a workspace still serves the older schema form, the
field is found under its older name instead: a block always follows the schema it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema

COMPANY_LINK_FIELD = "company.domains"
"""Not an attribute: links a person to the company holding this domain."""

PERSON_ALIASES = {
    "first_name": "name.first_name",
    "last_name": "name.last_name",
    "title": "job_title",
}
_LEGACY_NAMES = {canonical: older for older, canonical in PERSON_ALIASES.items()}


def canonical_field(object_name: str, field: str) -> str:
    """The current name of a field a block maps to (aliases apply to people only)."""
    return PERSON_ALIASES.get(field, field) if object_name == "person" else field


@dataclass(frozen=True)
class FieldTarget:
    """Where a mapped value goes in a record's attributes, and what Clarify accepts there."""

    path: tuple[str, ...]
    """Attribute keys from the top, e.g. ``("name", "first_name")``."""
    schema: FieldSchema


def locate_field(schema: ObjectSchema, field: str) -> FieldTarget | None:
    """The target of a canonical field in this schema, or None when it has no such field."""
    found = schema.resolve(field)
    if found is not None:
        return FieldTarget(tuple(field.split(".")), found)
    older = _LEGACY_NAMES.get(field) if schema.object == "person" else None
    found = schema.resolve(older) if older else None
    return FieldTarget((older,), found) if older and found is not None else None


def writable_fields(schema: ObjectSchema) -> list[str]:
    """Dotted paths a block may map to: scalars and collections, nested objects opened up."""

    def walk(prefix: str, fields: dict[str, FieldSchema]) -> list[str]:
        paths: list[str] = []
        for name, field in fields.items():
            if field.read_only:
                continue
            path = f"{prefix}{name}"
            paths.extend(walk(f"{path}.", dict(field.properties)) if field.is_object else [path])
        return paths

    return walk("", dict(schema.fields))
