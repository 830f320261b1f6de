"""``fields``: create the custom fields that sync models map to and Clarify lacks.

Each new field is typed from what the project already says about its column: the values an
``accepted_values`` test allows make a select field with those options; otherwise the column's
type decides (text, integer, number, boolean; dates and timestamps make a date field). Nothing
is created while any field cannot be worked out, and the command returns only once Clarify
shows every new field, so that a sync right after it can write them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dbt_clarify.clarify import ClarifyClient
from dbt_clarify.clarify.schema import ObjectSchema
from dbt_clarify.dbt import ModelNode
from dbt_clarify.engine.column_types import ColumnKind, column_kind
from dbt_clarify.engine.model_columns import ColumnLookup, ModelColumns, no_columns_error
from dbt_clarify.engine.scope import ModelScope, load_scope
from dbt_clarify.engine.validation import Problem, ProblemList, one_mapping
from dbt_clarify.errors import ConfigError
from dbt_clarify.settings import ClarifySettings
from dbt_clarify.spec import FieldMapping, SyncSpec, column_positions, locate_field

FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
"""Names Clarify gives custom fields: lower snake_case, a letter first."""
_TYPE_BY_KIND: dict[ColumnKind, dict[str, Any]] = {
    "text": {"type": ["string", "null"]},
    "time": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "number": {"type": ["number", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "date": {"type": ["string", "null"], "format": "date"},
    "timestamp": {"type": ["string", "null"], "format": "date"},
}


@dataclass(frozen=True)
class NewField:
    """A custom field to create, and the mappings that need it."""

    object: str
    name: str
    definition: Mapping[str, Any]
    """As ``POST /schemas/{object}/properties`` takes it."""
    columns: tuple[str, ...]
    """``model.column`` of each mapping that fills it."""
    typed_from: str
    """What decided its type, e.g. "the accepted_values test" or "column type VARCHAR"."""

    @property
    def kind(self) -> str:
        """The field's type in a word or two: "select (Lead, MQL)", "date", "integer"."""
        if "enum" in self.definition:
            return f"select ({', '.join(self.definition['enum'])})"
        if self.definition.get("format") == "date":
            return "date"
        kind = next(t for t in self.definition["type"] if t != "null")
        return "text" if kind == "string" else str(kind)


@dataclass(frozen=True)
class FieldPlan:
    """The fields to create; none are created while there are problems."""

    fields: tuple[NewField, ...]
    problems: tuple[Problem, ...]
    created: bool = False


def create_missing_fields(
    scope: ModelScope, settings: ClarifySettings, *, dry_run: bool = False, wait_s: float = 60
) -> FieldPlan:
    """Plan the missing fields of the selected sync models and, unless ``dry_run`` or the plan
    has problems, create them and wait until Clarify shows them."""
    return asyncio.run(_create_missing_fields(scope, settings, dry_run, wait_s))


async def _create_missing_fields(
    scope: ModelScope, settings: ClarifySettings, dry_run: bool, wait_s: float
) -> FieldPlan:
    scoped = load_scope(scope)
    if not scoped.models:
        return FieldPlan((), ())
    async with ClarifyClient(settings) as client:
        schemas = await client.get_schemas()
        with ColumnLookup(scoped.project) as lookup:
            plan = plan_fields(scoped.models, schemas, lookup.columns)
        if dry_run or plan.problems or not plan.fields:
            return plan
        for object_name in dict.fromkeys(f.object for f in plan.fields):
            wanted = {f.name: f.definition for f in plan.fields if f.object == object_name}
            await client.create_fields(object_name, wanted, wait_s=wait_s)
    return FieldPlan(plan.fields, (), created=True)


def plan_fields(
    models: Sequence[tuple[ModelNode, SyncSpec]],
    schemas: Mapping[str, ObjectSchema],
    columns_of: Callable[[ModelNode], ModelColumns | None],
) -> FieldPlan:
    """The fields the models' mappings need and Clarify lacks, each typed from its column."""
    planned: dict[tuple[str, str], NewField] = {}
    problems = ProblemList()
    for node, spec in models:
        schema = schemas.get(spec.object)
        if schema is None:
            problems.add(
                spec.location.error(
                    "object",
                    f"Clarify has no object '{spec.object}'",
                    hint="create the custom object in Clarify first; fields are added to "
                    "existing objects",
                )
            )
            continue
        missing = [m for m in spec.attribute_mappings if locate_field(schema, m.field) is None]
        columns = columns_of(node) if missing else None
        for mapping in missing:
            try:
                new = _new_field(node, spec, mapping, columns)
            except ConfigError as error:
                problems.add(error)
                continue
            key = (new.object, new.name)
            earlier = planned.get(key)
            if earlier is None:
                planned[key] = new
            elif earlier.definition == new.definition:
                planned[key] = replace(earlier, columns=(*earlier.columns, *new.columns))
            else:
                problems.add(
                    spec.location.error(
                        f"fields.{mapping.column}",
                        f"needs {new.object} field '{new.name}' as {new.kind}, but "
                        f"{', '.join(earlier.columns)} needs it as {earlier.kind}",
                        hint="make the columns agree (cast one of them), or create the field "
                        "in Clarify",
                    )
                )
    return FieldPlan(tuple(planned.values()), problems.listed())


def _new_field(
    node: ModelNode, spec: SyncSpec, mapping: FieldMapping, columns: ModelColumns | None
) -> NewField:
    """The definition of the field one mapping needs; ConfigError when it cannot be told."""
    key = f"fields.{mapping.column}"
    name = mapping.field
    if "." in name or not FIELD_NAME.match(name):
        raise spec.location.error(
            key,
            f"'{name}' is not a field of {spec.object}, and cannot be created as one",
            hint="custom fields are top-level, lower snake_case names starting with a letter",
        )
    if name == spec.match_on:
        raise spec.location.error(
            key,
            f"'{name}' is the match key, which must be a unique field; only plain fields are "
            "created",
            hint="create the unique field in Clarify, or match on a unique field it has",
        )
    if columns is None:
        raise no_columns_error(node, spec, key)
    position = column_positions(one_mapping(spec, mapping), columns.names)[mapping.column]
    column = columns.columns[position]
    title = name.replace("_", " ").capitalize()
    where = (f"{node.name}.{column.name}",)
    allowed = columns.allowed_values(column.name)
    if allowed:
        definition = {"type": ["string", "null"], "title": title, "enum": list(allowed)}
        return NewField(spec.object, name, definition, where, "the accepted_values test")
    kind = column_kind(column.data_type)
    typed = _TYPE_BY_KIND.get(kind) if kind else None
    if typed is None:
        raise spec.location.error(
            key,
            f"cannot tell which type field '{name}' needs from column '{column.name}' "
            f"({column.data_type or 'no type declared'})",
            hint="Clarify fields hold text, numbers, true/false or dates: cast the column, "
            "declare its data_type in schema.yml, or create the field in Clarify",
        )
    definition = {**typed, "title": title}
    return NewField(spec.object, name, definition, where, f"column type {column.data_type}")
