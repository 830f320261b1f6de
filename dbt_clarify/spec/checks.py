"""Checking a parsed block against what it refers to: the model's columns and Clarify's schema.

Both run before anything is sent, so a typo costs an error message rather than a failed sync.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from dbt_clarify.clarify.schema import ObjectSchema
from dbt_clarify.errors import ConfigError
from dbt_clarify.spec.fields import PERSON_ALIASES, FieldTarget, locate_field, writable_fields
from dbt_clarify.spec.messages import did_you_mean, listing
from dbt_clarify.spec.model import SyncSpec

FIELDS_COMMAND_HINT = "`dbt-clarify fields` creates the custom fields a mapping needs"


def check_columns(spec: SyncSpec, columns: Collection[str]) -> None:
    """Check that every column the block names exists in the model (raise ConfigError)."""
    column_positions(spec, list(columns))


def column_positions(spec: SyncSpec, columns: Sequence[str]) -> dict[str, int]:
    """Where each column the block names sits in ``columns``.

    Names match exactly, else ignoring case, since warehouses fold unquoted names to upper or
    lower case. Two mapped columns must not land on the same model column.
    """
    exact = {name: i for i, name in enumerate(columns)}
    folded: dict[str, int] = {}
    for i, name in enumerate(columns):
        folded.setdefault(name.lower(), i)
    wanted = [(m.column, f"fields.{m.column}") for m in spec.fields]
    wanted.append((spec.primary_key, "primary_key"))
    if spec.cursor is not None:
        wanted.append((spec.cursor, "cursor"))
    positions: dict[str, int] = {}
    mapped_from: dict[int, str] = {}
    for column, key in wanted:
        position = exact.get(column, folded.get(column.lower()))
        if position is None:
            raise _unknown_column(spec, key, column, columns)
        if key.startswith("fields.") and mapped_from.setdefault(position, column) != column:
            raise spec.location.error(
                key,
                f"'{column}' and '{mapped_from[position]}' are both the model's column "
                f"'{columns[position]}' once case is ignored",
                hint="map each column once",
            )
        positions[column] = position
    return positions


def _unknown_column(spec: SyncSpec, key: str, column: str, columns: Sequence[str]) -> ConfigError:
    hint = f"the columns of {spec.model} are: {listing(columns)}"
    if key == "cursor":
        hint = f"name the watermark column with `cursor: <column>`, or set `cursor: none`; {hint}"
    return spec.location.error(
        key, f"unknown column '{column}'{did_you_mean(column, columns)}", hint=hint
    )


def check_schema(spec: SyncSpec, schemas: Mapping[str, ObjectSchema]) -> None:
    """Check that the object and each mapped field exist in Clarify and can be written, and
    that match_on is one of the object's unique fields (raise ConfigError otherwise)."""
    schema = schemas.get(spec.object)
    if schema is None:
        raise spec.location.error(
            "object",
            f"Clarify has no object '{spec.object}'{did_you_mean(spec.object, schemas)}",
            hint=f"create it in Clarify first; this workspace has: {listing(sorted(schemas))}",
        )
    targets = field_targets(spec, schema)
    match = next(targets[m.column] for m in spec.fields if m.field == spec.match_on)
    if len(match.path) != 1 or not match.schema.unique:
        found = ", ".join(schema.unique_fields) or "none"
        raise spec.location.error(
            "match_on",
            f"'{spec.match_on}' is not a unique field of {spec.object} (unique fields: {found})",
            hint="records are matched on a field Clarify keeps unique; set match_on to one",
        )


def field_targets(spec: SyncSpec, schema: ObjectSchema) -> dict[str, FieldTarget]:
    """Where each attribute mapping's value goes, keyed by column; every field checked."""
    targets: dict[str, FieldTarget] = {}
    for mapping in spec.attribute_mappings:
        key = f"fields.{mapping.column}"
        target = locate_field(schema, mapping.field)
        if target is None:
            candidates = writable_fields(schema)
            if spec.object == "person":
                candidates += list(PERSON_ALIASES)
            raise spec.location.error(
                key,
                f"unknown field '{mapping.field}' on {spec.object}"
                f"{did_you_mean(mapping.field, candidates)}",
                hint=FIELDS_COMMAND_HINT,
            )
        field = target.schema
        if field.is_system:
            raise spec.location.error(
                key,
                f"'{mapping.field}' is a system field; Clarify sets it",
                hint="map a field of your own instead",
            )
        if field.read_only:
            raise spec.location.error(
                key, f"'{mapping.field}' is read-only", hint="map a field Clarify lets you write"
            )
        if field.is_object:
            parts = ", ".join(f"{mapping.field}.{p}" for p in field.properties)
            raise spec.location.error(
                key,
                f"'{mapping.field}' is an object; map its parts instead ({parts})",
                hint="one column fills one field",
            )
        targets[mapping.column] = target
    return targets
