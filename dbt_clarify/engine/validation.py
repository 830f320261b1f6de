"""``validate``: every selected sync model's block against its columns and Clarify's schema.

The checks a sync makes before it sends anything stop at the first mistake; here every mistake
is listed, each on a line naming the model, its file and the key to fix. Beyond those checks,
two mismatches that a sync would only meet row by row are found up front: a column whose type
the field cannot hold (text into a number field), and values a column's ``accepted_values``
test allows that the Clarify select field lacks. Nothing is written, neither to Clarify nor
to the warehouse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dbt_clarify.clarify import ClarifyClient
from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema
from dbt_clarify.dbt import ColumnInfo, ModelNode
from dbt_clarify.engine.column_types import column_kind, field_holds, field_kinds, suggested_cast
from dbt_clarify.engine.model_columns import ColumnLookup, ModelColumns, no_columns_error
from dbt_clarify.engine.runner import prepare_model
from dbt_clarify.engine.scope import ModelScope, load_scope
from dbt_clarify.errors import ConfigError
from dbt_clarify.settings import ClarifySettings
from dbt_clarify.spec import (
    COMPANY_LINK_FIELD,
    FieldMapping,
    SyncSpec,
    check_columns,
    check_schema,
    field_targets,
    locate_field,
)
from dbt_clarify.spec.messages import listing


@dataclass(frozen=True)
class Problem:
    """One mistake: ``model (file): key: what is wrong``, and what to do about it."""

    message: str
    hint: str | None


@dataclass(frozen=True)
class ModelCheck:
    """The outcome for one sync model."""

    model: str
    object: str
    columns_source: str | None
    """Where its columns were read (the warehouse, the catalog, schema.yml); None if nowhere."""
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class ValidationReport:
    models: tuple[ModelCheck, ...]

    @property
    def problems(self) -> list[Problem]:
        return [p for m in self.models for p in m.problems]


def validate(scope: ModelScope, settings: ClarifySettings) -> ValidationReport:
    """Check the selected sync models; raises only for what stops every check (a block that
    does not parse, an unreachable warehouse or Clarify)."""
    return asyncio.run(_validate(scope, settings))


async def _validate(scope: ModelScope, settings: ClarifySettings) -> ValidationReport:
    scoped = load_scope(scope)
    if not scoped.models:
        return ValidationReport(())
    async with ClarifyClient(settings) as client:
        schemas = await client.get_schemas()
    with ColumnLookup(scoped.project) as lookup:
        checks = [
            check_model(node, spec, schemas, lookup.columns(node)) for node, spec in scoped.models
        ]
    return ValidationReport(tuple(checks))


def check_model(
    node: ModelNode,
    spec: SyncSpec,
    schemas: Mapping[str, ObjectSchema],
    columns: ModelColumns | None,
) -> ModelCheck:
    """Every problem of one model's block, in the order its keys are read."""
    found = ProblemList()
    if columns is None and node.relation_name is not None:
        found.add(no_columns_error(node, spec))
    else:  # also says why an ephemeral model cannot be synced
        found.attempt(prepare_model, node, spec, columns.columns if columns else ())
    if columns is not None:
        for mapping in spec.fields:
            found.attempt(check_columns, one_mapping(spec, mapping), columns.names)
    schema = schemas.get(spec.object)
    if schema is not None:
        for mapping in spec.attribute_mappings:
            found.attempt(field_targets, one_mapping(spec, mapping), schema)
    found.attempt(check_schema, spec, schemas)
    if schema is not None and columns is not None:
        for mapping, field in _mapped_fields(spec, schema, schemas):
            column = columns.find(mapping.column)
            if column is not None:
                found.add(type_mismatch(spec, mapping, column, field))
                found.add(missing_options(spec, mapping, columns, field))
    return ModelCheck(
        model=node.name,
        object=spec.object,
        columns_source=columns.source if columns else None,
        problems=found.listed(),
    )


def type_mismatch(
    spec: SyncSpec, mapping: FieldMapping, column: ColumnInfo, field: FieldSchema
) -> ConfigError | None:
    """A column whose type the field cannot hold: every row would be refused or mangled."""
    kind = column_kind(column.data_type)
    takes = field_kinds(field)
    if kind is None or takes is None or kind in takes:
        return None
    return spec.location.error(
        f"fields.{mapping.column}",
        f"column '{column.name}' is {column.data_type} ({kind}), but Clarify field "
        f"'{mapping.field}' holds {field_holds(field)}",
        hint=(
            f"cast it in the model's SQL, e.g. cast({column.name} as {suggested_cast(field)}), "
            "or map the column to a field of its type"
        ),
    )


def missing_options(
    spec: SyncSpec, mapping: FieldMapping, columns: ModelColumns, field: FieldSchema
) -> ConfigError | None:
    """Values the column's accepted_values test allows that the select field does not offer."""
    options = (field.item or field).enum
    allowed = columns.allowed_values(mapping.column)
    if not options or not allowed:
        return None
    offered = {str(option) for option in options}
    missing = [value for value in allowed if value not in offered]
    if not missing:
        return None
    return spec.location.error(
        f"fields.{mapping.column}",
        f"accepted_values of column '{mapping.column}' allow "
        f"{listing(repr(v) for v in missing)}, which Clarify field '{mapping.field}' lacks "
        f"(its options: {listing(str(o) for o in options)})",
        hint="add the options to the field in Clarify (options are case-sensitive), "
        "or change the model's values and its accepted_values test",
    )


def _mapped_fields(
    spec: SyncSpec, schema: ObjectSchema, schemas: Mapping[str, ObjectSchema]
) -> list[tuple[FieldMapping, FieldSchema]]:
    """Each mapping with the Clarify field its values go to; the company link goes to a
    company's domains."""
    found = []
    for mapping in spec.fields:
        if mapping.field == COMPANY_LINK_FIELD:
            company = schemas.get("company")
            field = company.resolve("domains") if company else None
        else:
            target = locate_field(schema, mapping.field)
            field = target.schema if target else None
        if field is not None:
            found.append((mapping, field))
    return found


def one_mapping(spec: SyncSpec, mapping: FieldMapping) -> SyncSpec:
    """The block with only this mapping, for a check that stops at its first mistake to say
    whether this mapping has one."""
    return replace(spec, fields=(mapping,))


class ProblemList:
    """Problems in the order found; one found twice (by two checks) is listed once."""

    def __init__(self) -> None:
        self._by_message: dict[str, Problem] = {}

    def add(self, error: ConfigError | None) -> None:
        if error is not None:
            self._by_message.setdefault(error.message, Problem(error.message, error.hint))

    def attempt(self, check: Callable[..., Any], *args: Any) -> None:
        try:
            check(*args)
        except ConfigError as error:
            self.add(error)

    def listed(self) -> tuple[Problem, ...]:
        return tuple(self._by_message.values())
