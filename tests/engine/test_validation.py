"""``validate``'s checks: every problem of a block listed once, each naming model, file and key."""

from __future__ import annotations

from typing import Any

from dbt_clarify.dbt import ModelNode
from dbt_clarify.engine.model_columns import ModelColumns
from dbt_clarify.engine.validation import ModelCheck, check_model
from dbt_clarify.spec import parse_spec
from engine.sync_models import SCHEMA_FILE, SCHEMAS, columns, model

PEOPLE_COLUMNS = {
    "email": "VARCHAR",
    "first_name": "VARCHAR",
    "title": "VARCHAR",
    "company_domain": "VARCHAR",
    "lifecycle_stage": "VARCHAR",
    "updated_at": "TIMESTAMP",
}
PEOPLE_FIELDS = {
    "email": "email_addresses",
    "first_name": "name.first_name",
    "title": "job_title",
    "company_domain": "company.domains",
    "lifecycle_stage": "lifecycle_stage",
}


def check(
    block: dict[str, Any],
    found: ModelColumns | None,
    *,
    node: ModelNode | None = None,
) -> ModelCheck:
    node = node or model()
    spec = parse_spec(node.name, SCHEMA_FILE, "config.meta.clarify", block)
    return check_model(node, spec, SCHEMAS, found)


def messages(result: ModelCheck) -> list[str]:
    return [p.message for p in result.problems]


def test_a_block_that_fits_has_no_problem() -> None:
    accepted = {"lifecycle_stage": ("Lead", "Customer")}
    result = check({"object": "person", "fields": PEOPLE_FIELDS}, columns(PEOPLE_COLUMNS, accepted))
    assert result.problems == ()
    assert result.columns_source == "the warehouse"


def test_every_problem_is_listed_once_naming_model_file_and_key() -> None:
    fields = {
        **PEOPLE_FIELDS,
        "title": "job_titel",  # a field Clarify lacks
        "nickname": "nick_name",  # a column the model lacks, and a field Clarify lacks
        "score": "lifecycle_stage_x",
    }
    found = columns(
        {**PEOPLE_COLUMNS, "score": "DOUBLE"}, {"lifecycle_stage": ("Lead", "MQL", "Customer")}
    )
    result = check({"object": "person", "fields": fields}, found)

    lines = messages(result)
    assert len(lines) == len(set(lines)) == 5, lines
    for line in lines:
        assert line.startswith(f"clarify_people ({SCHEMA_FILE}): config.meta.clarify.fields.")
    assert any("fields.title" in m and "unknown field 'job_titel'" in m for m in lines)
    assert any("fields.nickname" in m and "unknown column 'nickname'" in m for m in lines)
    assert any("fields.nickname" in m and "unknown field 'nick_name'" in m for m in lines)
    assert any("fields.score" in m and "unknown field 'lifecycle_stage_x'" in m for m in lines)
    enum = next(m for m in lines if "accepted_values" in m)
    assert "fields.lifecycle_stage" in enum
    assert "'MQL'" in enum
    assert "'Lead'" not in enum


def test_a_column_whose_type_the_field_cannot_hold() -> None:
    block = {"object": "deal", "fields": {"name": "name", "amount": "amount"}}
    result = check(block, columns({"name": "VARCHAR", "amount": "VARCHAR", "updated_at": "DATE"}))

    (problem,) = result.problems
    assert "fields.amount" in problem.message
    assert "column 'amount' is VARCHAR (text)" in problem.message
    assert "holds numbers" in problem.message
    assert problem.hint is not None
    assert "cast(amount as numeric)" in problem.hint


def test_types_that_fit_or_are_unknown_pass() -> None:
    block = {
        "object": "deal",
        "fields": {"name": "name", "amount": "amount", "closed_on": "close_date"},
    }
    found = columns(
        {"name": "VARCHAR", "amount": "BIGINT", "closed_on": "GEOGRAPHY", "updated_at": None}
    )
    assert check(block, found).problems == ()


def test_the_company_link_takes_text_domains() -> None:
    block = {"object": "person", "fields": {"email": "email_addresses", "org": "company.domains"}}
    result = check(block, columns({"email": "VARCHAR", "org": "INTEGER", "updated_at": "DATE"}))
    (problem,) = result.problems
    assert "fields.org" in problem.message
    assert "company.domains" in problem.message
    assert "a list of domains" in problem.message


def test_an_object_clarify_lacks_is_one_problem() -> None:
    block = {"object": "c_invoice", "match_on": "number", "fields": {"number": "number"}}
    result = check(block, columns({"number": "VARCHAR", "updated_at": "DATE"}))
    assert len(result.problems) == 1
    assert "config.meta.clarify.object" in result.problems[0].message
    assert "c_invoice" in result.problems[0].message


def test_an_unknown_primary_key_is_reported_once_beside_other_problems() -> None:
    block = {
        "object": "person",
        "fields": {**PEOPLE_FIELDS, "title": "job_titel"},
        "primary_key": "person_id",
    }
    lines = messages(check(block, columns(PEOPLE_COLUMNS)))
    assert len(lines) == 2, lines
    assert any("primary_key: unknown column 'person_id'" in m for m in lines)
    assert any("fields.title: unknown field 'job_titel'" in m for m in lines)


def test_a_model_without_known_columns_says_how_to_get_them() -> None:
    result = check({"object": "person", "fields": PEOPLE_FIELDS}, None)
    (problem,) = result.problems
    assert "no columns" in problem.message
    assert problem.hint is not None
    assert "dbt build --select clarify_people" in problem.hint
    assert result.columns_source is None


def test_an_ephemeral_model_cannot_be_synced() -> None:
    result = check({"object": "person", "fields": PEOPLE_FIELDS}, None, node=model(ephemeral=True))
    (problem,) = result.problems
    assert "ephemeral" in problem.message
