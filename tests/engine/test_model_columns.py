"""Where checks find a model's columns: the warehouse, else the catalog, else schema.yml."""

from __future__ import annotations

import json

import pytest

from dbt_clarify.dbt import ColumnInfo, DbtProject, ModelNode
from dbt_clarify.engine.column_types import column_kind
from dbt_clarify.engine.model_columns import (
    FROM_CATALOG,
    FROM_SCHEMA_YML,
    FROM_WAREHOUSE,
    ColumnLookup,
)
from support.dbt_project import DbtEnv

pytestmark = pytest.mark.dbt

COMPANIES = "model.integration_tests.clarify_companies"


def companies(project: DbtProject) -> ModelNode:
    (node,) = project.select(["clarify_companies"])
    return node


def write_catalog(
    project: DbtProject, columns: dict[str, str], *, schema: str | None = None
) -> None:
    """A catalog listing the companies model, in its own schema unless ``schema`` says."""
    manifest = json.loads((project.target_path / "manifest.json").read_text())
    node = manifest["nodes"][COMPANIES]
    relation = {"database": node["database"], "schema": schema or node["schema"]}
    entry = {
        "metadata": {**relation, "name": node["alias"]},
        "columns": {
            name: {"name": name, "type": data_type, "index": index}
            for index, (name, data_type) in enumerate(columns.items(), start=1)
        },
        "unique_id": COMPANIES,
    }
    (project.target_path / "catalog.json").write_text(json.dumps({"nodes": {COMPANIES: entry}}))


def test_a_built_model_is_described_by_the_warehouse(dbt_project: DbtProject) -> None:
    (people,) = dbt_project.select(["clarify_people"])
    with ColumnLookup(dbt_project) as lookup:
        found = lookup.columns(people)
    assert found is not None
    assert found.source == FROM_WAREHOUSE
    assert found.names == [
        "email",
        "first_name",
        "last_name",
        "title",
        "company_domain",
        "lifecycle_stage",
        "updated_at",
    ]
    updated_at = found.find("UPDATED_AT")
    assert updated_at is not None
    assert updated_at.name == "updated_at"
    assert column_kind(updated_at.data_type) == "timestamp"
    assert found.allowed_values("lifecycle_stage") == ("Lead", "MQL", "SQL", "Customer")
    assert found.allowed_values("email") is None


def test_an_unbuilt_model_is_described_by_the_catalog_of_its_relation_else_its_yml(
    dbt_env: DbtEnv, dbt_project: DbtProject
) -> None:
    node = companies(dbt_project)
    dbt_env.sql("drop table clarify_companies")

    write_catalog(dbt_project, {"domain": "VARCHAR", "headcount": "INTEGER"})
    with ColumnLookup(dbt_project) as lookup:
        found = lookup.columns(node)
    assert found is not None
    assert found.source == FROM_CATALOG
    assert found.columns == (ColumnInfo("domain", "VARCHAR"), ColumnInfo("headcount", "INTEGER"))

    # A catalog generated for another target describes another table: not this one.
    reloaded = DbtProject.load(dbt_env.options())  # a project reads the catalog once
    write_catalog(reloaded, {"domain": "VARCHAR"}, schema="elsewhere")
    with ColumnLookup(reloaded) as lookup:
        found = lookup.columns(node)
    assert found is not None
    assert found.source == FROM_SCHEMA_YML
    assert found.find("employee_count") == ColumnInfo("employee_count", "integer")
    assert len(found.columns) == 5
