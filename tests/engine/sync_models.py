"""Sync models as the engine's checks see them, built in memory for unit tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from dbt_clarify.clarify.schema import parse_schemas
from dbt_clarify.dbt import ColumnInfo, ModelNode
from dbt_clarify.engine.model_columns import ModelColumns

SCHEMAS = parse_schemas(
    json.loads((Path(__file__).parents[1] / "clarify_schemas.json").read_text())["current"]
)
SCHEMA_FILE = "models/clarify/schema.yml"


def model(name: str = "clarify_people", *, ephemeral: bool = False) -> ModelNode:
    return ModelNode(
        unique_id=f"model.it.{name}",
        name=name,
        package_name="it",
        relation_name=None if ephemeral else f'"db"."main"."{name}"',
        materialized="ephemeral" if ephemeral else "table",
        tags=("clarify",),
        clarify_block=None,
        block_key="config.meta.clarify",
        schema_file=SCHEMA_FILE,
        sql_file=f"models/clarify/{name}.sql",
        declared_columns={},
        depends_on=(),
    )


def columns(
    types: Mapping[str, str | None], accepted: Mapping[str, tuple[str, ...]] | None = None
) -> ModelColumns:
    found = tuple(ColumnInfo(name, data_type) for name, data_type in types.items())
    return ModelColumns(found, "the warehouse", accepted or {})
