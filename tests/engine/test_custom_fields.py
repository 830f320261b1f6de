"""``fields``: which custom fields the mappings need, typed from what the project says."""

from __future__ import annotations

from typing import Any

import pytest

from dbt_clarify.dbt import ModelNode
from dbt_clarify.engine.custom_fields import FieldPlan, plan_fields
from dbt_clarify.engine.model_columns import ModelColumns
from dbt_clarify.spec import SyncSpec, parse_spec
from engine.sync_models import SCHEMA_FILE, SCHEMAS, columns, model

PEOPLE = {"email": "VARCHAR", "updated_at": "TIMESTAMP"}


def spec_of(node: ModelNode, block: dict[str, Any]) -> SyncSpec:
    return parse_spec(node.name, SCHEMA_FILE, "config.meta.clarify", block)


def plan(
    *models: tuple[ModelNode, dict[str, Any], ModelColumns | None],
) -> FieldPlan:
    by_id = {node.unique_id: found for node, _, found in models}
    pairs = [(node, spec_of(node, block)) for node, block, _ in models]
    return plan_fields(pairs, SCHEMAS, lambda node: by_id[node.unique_id])


def person(fields: dict[str, str]) -> dict[str, Any]:
    return {"object": "person", "fields": {"email": "email_addresses", **fields}}


@pytest.mark.parametrize(
    ("data_type", "definition", "kind"),
    [
        ("VARCHAR", {"type": ["string", "null"]}, "text"),
        ("BIGINT", {"type": ["integer", "null"]}, "integer"),
        ("DECIMAL(12,2)", {"type": ["number", "null"]}, "number"),
        ("BOOLEAN", {"type": ["boolean", "null"]}, "boolean"),
        ("DATE", {"type": ["string", "null"], "format": "date"}, "date"),
        ("TIMESTAMP", {"type": ["string", "null"], "format": "date"}, "date"),
    ],
)
def test_a_missing_field_is_typed_from_its_column(
    data_type: str, definition: dict[str, Any], kind: str
) -> None:
    result = plan(
        (model(), person({"seats": "seat_count"}), columns({**PEOPLE, "seats": data_type}))
    )
    assert result.problems == ()
    (field,) = result.fields
    assert (field.object, field.name, field.kind) == ("person", "seat_count", kind)
    assert field.definition == {**definition, "title": "Seat count"}
    assert field.columns == ("clarify_people.seats",)
    assert data_type in field.typed_from


def test_accepted_values_make_a_select_field_with_those_options() -> None:
    found = columns({**PEOPLE, "tier": "VARCHAR"}, {"tier": ("Gold", "Silver")})
    (field,) = plan((model(), person({"tier": "tier"}), found)).fields
    assert field.definition["enum"] == ["Gold", "Silver"]
    assert field.kind == "select (Gold, Silver)"
    assert field.typed_from == "the accepted_values test"


def test_fields_clarify_has_are_not_planned() -> None:
    block = person({"title": "title", "first_name": "name.first_name", "stage": "lifecycle_stage"})
    found = columns({**PEOPLE, "title": "VARCHAR", "first_name": "VARCHAR", "stage": "VARCHAR"})
    assert plan((model(), block, found)) == FieldPlan((), ())


def test_two_models_needing_one_field_alike_share_it() -> None:
    other = model("clarify_contacts")
    found = columns({**PEOPLE, "seats": "INTEGER"})
    result = plan(
        (model(), person({"seats": "seat_count"}), found),
        (other, person({"seats": "seat_count"}), found),
    )
    (field,) = result.fields
    assert field.columns == ("clarify_people.seats", "clarify_contacts.seats")


@pytest.mark.parametrize(
    ("fields", "types", "expected"),
    [
        ({"middle": "name.middle_name"}, {"middle": "VARCHAR"}, "cannot be created"),
        ({"tier": "Tier"}, {"tier": "VARCHAR"}, "cannot be created"),
        ({"area": "area"}, {"area": "GEOGRAPHY"}, "cannot tell which type"),
        ({"tags": "tag_list"}, {"tags": "VARCHAR[]"}, "cannot tell which type"),
        ({"tier": "tier"}, {}, "unknown column 'tier'"),
    ],
)
def test_a_field_that_cannot_be_worked_out_is_a_problem_and_nothing_is_planned(
    fields: dict[str, str], types: dict[str, str], expected: str
) -> None:
    result = plan((model(), person(fields), columns({**PEOPLE, **types})))
    assert result.fields == ()
    (problem,) = result.problems
    assert expected in problem.message
    assert problem.message.startswith(f"clarify_people ({SCHEMA_FILE}): config.meta.clarify.")


def test_conflicting_types_for_one_field_are_a_problem() -> None:
    other = model("clarify_contacts")
    result = plan(
        (model(), person({"seats": "seat_count"}), columns({**PEOPLE, "seats": "INTEGER"})),
        (other, person({"seats": "seat_count"}), columns({**PEOPLE, "seats": "VARCHAR"})),
    )
    (problem,) = result.problems
    assert "clarify_contacts" in problem.message
    assert "as text" in problem.message
    assert "clarify_people.seats needs it as integer" in problem.message


def test_a_missing_match_key_or_object_cannot_be_created() -> None:
    project = {"object": "c_project", "match_on": "ref", "fields": {"ref": "ref"}}
    invoice = {"object": "c_invoice", "match_on": "number", "fields": {"number": "number"}}
    result = plan(
        (model(), project, columns({"ref": "VARCHAR", "updated_at": "DATE"})),
        (model("clarify_invoices"), invoice, columns({"number": "VARCHAR", "updated_at": "DATE"})),
    )
    assert result.fields == ()
    assert len(result.problems) == 2
    assert "the match key" in result.problems[0].message
    assert "no object 'c_invoice'" in result.problems[1].message


def test_unknown_columns_source_asks_for_a_build() -> None:
    result = plan((model(), person({"tier": "tier"}), None))
    (problem,) = result.problems
    assert "no columns" in problem.message
