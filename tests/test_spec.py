"""The sync-model block: parsing, defaults, the hash that triggers a resync, and every message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dbt_clarify.clarify.schema import ObjectSchema, parse_schemas
from dbt_clarify.errors import ConfigError, ExitCode
from dbt_clarify.spec import FieldMapping, SyncSpec, check_columns, check_schema, parse_spec

SCHEMAS = json.loads((Path(__file__).parent / "clarify_schemas.json").read_text())
MODEL = "clarify_people"
FILE = "models/schema.yml"
WHERE = f"{MODEL} ({FILE}): config.meta.clarify"

PERSON: dict[str, Any] = {
    "object": "person",
    "fields": {
        "email": "email_addresses",
        "first_name": "first_name",
        "last_name": "name.last_name",
        "title": "title",
        "company_domain": "company.domains",
        "lifecycle_stage": "lifecycle_stage",
    },
}
PERSON_COLUMNS = [*PERSON["fields"], "updated_at"]


def spec_of(block: Any, file: str | None = FILE) -> SyncSpec:
    return parse_spec(MODEL, file, "config.meta.clarify", block)


def with_keys(**keys: Any) -> dict[str, Any]:
    return {**PERSON, **keys}


def parse_error(block: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        spec_of(block)
    return caught.value


@pytest.fixture(scope="module")
def schemas() -> dict[str, ObjectSchema]:
    return parse_schemas(SCHEMAS["current"])


# --- parsing and defaults -------------------------------------------------------------------


def test_person_block_gets_defaults_and_canonical_fields() -> None:
    spec = spec_of(PERSON)
    assert spec.model == MODEL
    assert spec.file == FILE
    assert spec.object == "person"
    assert spec.fields == (
        FieldMapping("email", "email_addresses"),
        FieldMapping("first_name", "name.first_name"),
        FieldMapping("last_name", "name.last_name"),
        FieldMapping("title", "job_title"),
        FieldMapping("company_domain", "company.domains"),
        FieldMapping("lifecycle_stage", "lifecycle_stage"),
    )
    assert spec.match_on == "email_addresses"
    assert spec.primary_key == "email"
    assert spec.cursor == "updated_at"
    assert (spec.mode, spec.null_values) == ("upsert", "skip")
    assert spec.create_missing_companies is False
    assert spec.lookback_seconds == 0
    assert spec.batch_size is None
    assert spec.company_link_column == "company_domain"
    assert [m.field for m in spec.attribute_mappings] == [
        "email_addresses",
        "name.first_name",
        "name.last_name",
        "job_title",
        "lifecycle_stage",
    ]


@pytest.mark.parametrize(
    ("block", "match_on", "primary_key"),
    [
        (
            {"object": "company", "fields": {"website": "domains", "name": "name"}},
            "domains",
            "website",
        ),
        (
            {"object": "deal", "fields": {"deal_name": "name", "amount": "amount"}},
            "name",
            "deal_name",
        ),
        (
            {"object": "c_project", "match_on": "code", "fields": {"project_code": "code"}},
            "code",
            "project_code",
        ),
    ],
)
def test_match_on_and_primary_key_defaults(
    block: dict[str, Any], match_on: str, primary_key: str
) -> None:
    spec = spec_of(block)
    assert (spec.match_on, spec.primary_key) == (match_on, primary_key)
    assert spec.company_link_column is None


def test_every_key_set_explicitly() -> None:
    spec = spec_of(
        with_keys(
            match_on="email_addresses",
            primary_key="person_id",
            cursor="none",
            mode="update",
            null_values="clear",
            create_missing_companies=True,
            lookback="2h",
            batch_size=50,
        )
    )
    assert spec.primary_key == "person_id"
    assert spec.cursor is None
    assert (spec.mode, spec.null_values) == ("update", "clear")
    assert spec.create_missing_companies is True
    assert spec.lookback_seconds == 7200
    assert spec.batch_size == 50


def test_a_key_set_to_null_takes_its_default() -> None:
    spec = spec_of(with_keys(cursor=None, mode=None, lookback=None, batch_size=None))
    assert (spec.cursor, spec.mode, spec.lookback_seconds, spec.batch_size) == (
        "updated_at",
        "upsert",
        0,
        None,
    )


@pytest.mark.parametrize(
    ("lookback", "seconds"),
    [(0, 0), (90, 90), ("45s", 45), ("30m", 1800), ("2h", 7200), (" 2H ", 7200), ("1d", 86400)],
)
def test_lookback_in_seconds_or_as_a_duration(lookback: Any, seconds: int) -> None:
    assert spec_of(with_keys(lookback=lookback)).lookback_seconds == seconds


def test_aliases_apply_to_people_only() -> None:
    spec = spec_of({"object": "company", "fields": {"domain": "domains", "title": "title"}})
    assert FieldMapping("title", "title") in spec.fields


def test_the_alias_of_match_on_is_read_too() -> None:
    block = {"object": "person", "match_on": "title", "fields": {"title": "title"}}
    assert spec_of(block).match_on == "job_title"


# --- parse errors: one message per mistake, naming model, file and key ------------------------


def test_tagged_model_without_a_block() -> None:
    error = parse_error(None)
    assert error.message == (
        f"model {MODEL} ({FILE}) is tagged clarify but has no config.meta.clarify block"
    )
    assert error.hint
    assert error.exit_code == ExitCode.CONFIG


def test_message_without_a_file_names_the_model() -> None:
    with pytest.raises(ConfigError) as caught:
        spec_of(with_keys(mode="sometimes"), file=None)
    assert caught.value.message.startswith(f"{MODEL}: config.meta.clarify.mode: ")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (["person"], ": expected a mapping of settings, got a list"),
        (with_keys(feilds={}), ".feilds: unknown key 'feilds'; did you mean 'fields'?"),
        (with_keys(matchon="x"), ".matchon: unknown key 'matchon'; did you mean 'match_on'?"),
        ({"fields": PERSON["fields"]}, ".object: missing: say which Clarify object rows become"),
        (with_keys(object="persn"), ".object: unknown object 'persn'; did you mean 'person'?"),
        (with_keys(object="C_Project"), ".object: unknown object 'C_Project'"),
        (with_keys(object=5), ".object: expected a name, got the number 5"),
        ({"object": "person"}, ".fields: missing: map the model's columns to Clarify fields"),
        (
            with_keys(fields=["email"]),
            ".fields: expected a mapping of column to Clarify field, got a list",
        ),
        (with_keys(fields={}), ".fields: is empty: map at least the column holding the match key"),
        (
            with_keys(fields={"email": ["email_addresses"]}),
            ".fields.email: expected a Clarify field name, got a list",
        ),
        (
            with_keys(
                fields={
                    "email": "email_addresses",
                    "fname": "first_name",
                    "first": "name.first_name",
                }
            ),
            ".fields.first: 'name.first_name' and 'first_name' (column 'fname') are the same "
            "field: 'first_name' is the older name of 'name.first_name'",
        ),
        (
            with_keys(fields={"email": "email_addresses", "work_email": "email_addresses"}),
            ".fields.work_email: field 'email_addresses' is already mapped from column 'email'",
        ),
        (
            {"object": "company", "fields": {"domain": "domains", "parent": "company.domains"}},
            ".fields.parent: 'company.domains' links a person to a company; a company has no such "
            "link",
        ),
        (
            with_keys(fields={"email": "email_addresses", "company": "company.name"}),
            ".fields.company: unknown company link 'company.name'; did you mean 'company.domains'?",
        ),
        (
            with_keys(fields={**PERSON["fields"], "account_id": "company_id"}),
            ".fields.account_id: 'company_id' and 'company.domains' (column 'company_domain') "
            "both set the person's company",
        ),
        (
            {"object": "c_project", "fields": {"code": "code"}},
            ".match_on: missing: custom object 'c_project' needs the unique field its records are "
            "matched on",
        ),
        (
            with_keys(fields={"first_name": "first_name"}),
            ".fields: no column is mapped to the match key 'email_addresses' (the default match_on "
            "for person)",
        ),
        (
            {"object": "c_project", "match_on": "code", "fields": {"title": "title"}},
            ".match_on: no column is mapped to the match key 'code'",
        ),
        (
            with_keys(match_on="company.domains"),
            ".match_on: 'company.domains' is a link, not a field records are matched on",
        ),
        (with_keys(primary_key=["id"]), ".primary_key: expected a name, got a list"),
        (with_keys(cursor=5), ".cursor: expected a name, got the number 5"),
        (with_keys(mode="upsrt"), ".mode: unknown mode 'upsrt'; did you mean 'upsert'?"),
        (
            with_keys(null_values="clr"),
            ".null_values: unknown null_values 'clr'; did you mean 'clear'?",
        ),
        (
            with_keys(create_missing_companies="true"),
            ".create_missing_companies: expected true or false, got the text 'true'",
        ),
        (
            {
                "object": "person",
                "create_missing_companies": True,
                "fields": {"email": "email_addresses"},
            },
            ".create_missing_companies: needs a column mapped to 'company.domains'",
        ),
        (with_keys(lookback="2 hours"), ".lookback: the text '2 hours' is not a duration"),
        (with_keys(lookback=-5), ".lookback: the number -5 is not a duration"),
        (with_keys(lookback=1.5), ".lookback: the number 1.5 is not a duration"),
        (with_keys(lookback=True), ".lookback: the boolean true is not a duration"),
        (
            with_keys(batch_size=0),
            ".batch_size: expected a positive whole number, got the number 0",
        ),
        (
            with_keys(batch_size="50"),
            ".batch_size: expected a positive whole number, got the text '50'",
        ),
    ],
)
def test_each_mistake_has_its_own_message(block: Any, message: str) -> None:
    error = parse_error(block)
    assert error.message.startswith(WHERE + message)
    assert "\n" not in error.message
    assert error.hint


# --- mapping_hash -----------------------------------------------------------------------------


def test_mapping_hash_ignores_key_order_aliases_and_spelled_out_defaults() -> None:
    reordered = {
        "fields": dict(reversed(list(PERSON["fields"].items()))),
        "object": "person",
    }
    spelled_out = with_keys(
        fields={**PERSON["fields"], "first_name": "name.first_name", "title": "job_title"},
        match_on="email_addresses",
        primary_key="email",
        cursor="updated_at",
        mode="upsert",
        null_values="skip",
    )
    digest = spec_of(PERSON).mapping_hash()
    assert len(digest) == 64
    assert spec_of(reordered).mapping_hash() == digest
    assert spec_of(spelled_out).mapping_hash() == digest
    assert spec_of(with_keys(lookback="1d", batch_size=10)).mapping_hash() == digest


@pytest.mark.parametrize(
    "change",
    [
        {
            "fields": {
                **PERSON["fields"],
                "title": "lifecycle_stage",
                "lifecycle_stage": "job_title",
            }
        },
        {"fields": {**PERSON["fields"], "phone": "phone_numbers"}},
        {"null_values": "clear"},
        {"cursor": "none"},
        {"primary_key": "person_id"},
        {"mode": "create"},
        {"create_missing_companies": True},
    ],
)
def test_mapping_hash_changes_with_the_mapping(change: dict[str, Any]) -> None:
    assert spec_of(with_keys(**change)).mapping_hash() != spec_of(PERSON).mapping_hash()


# --- check_columns ----------------------------------------------------------------------------


def test_columns_match_ignoring_case() -> None:
    check_columns(spec_of(PERSON), [c.upper() for c in PERSON_COLUMNS])


def test_unknown_mapped_column_suggests_the_closest() -> None:
    spec = spec_of({"object": "person", "fields": {"emial": "email_addresses"}})
    with pytest.raises(ConfigError) as caught:
        check_columns(spec, ["email", "updated_at"])
    assert caught.value.message == (
        f"{WHERE}.fields.emial: unknown column 'emial'; did you mean 'email'?"
    )
    assert caught.value.hint == f"the columns of {MODEL} are: email, updated_at"


def test_two_mapped_columns_folding_to_one_model_column() -> None:
    spec = spec_of(with_keys(fields={"email": "email_addresses", "EMAIL": "phone_numbers"}))
    with pytest.raises(ConfigError) as caught:
        check_columns(spec, ["Email", "updated_at"])
    assert caught.value.message == (
        f"{WHERE}.fields.EMAIL: 'EMAIL' and 'email' are both the model's column 'Email' once case "
        "is ignored"
    )


def test_unknown_primary_key_column() -> None:
    with pytest.raises(ConfigError) as caught:
        check_columns(spec_of(with_keys(primary_key="person_idd")), [*PERSON_COLUMNS, "person_id"])
    assert caught.value.message == (
        f"{WHERE}.primary_key: unknown column 'person_idd'; did you mean 'person_id'?"
    )


def test_missing_default_cursor_column_says_how_to_do_without() -> None:
    without_cursor = [c for c in PERSON_COLUMNS if c != "updated_at"]
    with pytest.raises(ConfigError) as caught:
        check_columns(spec_of(PERSON), without_cursor)
    assert caught.value.message == f"{WHERE}.cursor: unknown column 'updated_at'"
    assert caught.value.hint is not None
    assert "cursor: none" in caught.value.hint
    check_columns(spec_of(with_keys(cursor="none")), without_cursor)


# --- check_schema -----------------------------------------------------------------------------


def test_valid_blocks_pass_the_schema_check(schemas: dict[str, ObjectSchema]) -> None:
    check_schema(spec_of(PERSON), schemas)
    check_schema(
        spec_of({"object": "company", "fields": {"d": "domains", "n": "employee_count"}}), schemas
    )
    check_schema(spec_of({"object": "deal", "fields": {"n": "name", "d": "close_date"}}), schemas)
    check_schema(
        spec_of(
            {"object": "c_project", "match_on": "code", "fields": {"c": "code", "b": "budget"}}
        ),
        schemas,
    )


def test_legacy_person_schema_accepts_old_and_new_names() -> None:
    legacy = parse_schemas(SCHEMAS["legacy_person"])
    block = {
        "object": "person",
        "fields": {
            "email": "email_addresses",
            "a": "first_name",
            "b": "name.last_name",
            "c": "job_title",
        },
    }
    check_schema(spec_of(block), legacy)


def schema_error(block: dict[str, Any], schemas: dict[str, ObjectSchema]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        check_schema(spec_of(block), schemas)
    return caught.value


def test_unknown_object_in_clarify(schemas: dict[str, ObjectSchema]) -> None:
    error = schema_error(
        {"object": "c_projects", "match_on": "code", "fields": {"c": "code"}}, schemas
    )
    assert error.message == (
        f"{WHERE}.object: Clarify has no object 'c_projects'; did you mean 'c_project'?"
    )
    assert error.hint is not None
    assert "c_project, company, deal, person" in error.hint


def test_unknown_field_points_to_the_fields_command(schemas: dict[str, ObjectSchema]) -> None:
    error = schema_error(
        with_keys(fields={"email": "email_addresses", "stage": "lifecycle_stag"}), schemas
    )
    assert error.message == (
        f"{WHERE}.fields.stage: unknown field 'lifecycle_stag' on person; "
        "did you mean 'lifecycle_stage'?"
    )
    assert error.hint is not None
    assert "dbt-clarify fields" in error.hint


def test_unknown_nested_field_suggests_the_nested_path(schemas: dict[str, ObjectSchema]) -> None:
    error = schema_error(
        with_keys(fields={"email": "email_addresses", "n": "name.frist_name"}), schemas
    )
    assert error.message.endswith("did you mean 'name.first_name'?")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            with_keys(fields={"email": "email_addresses", "created": "_created_at"}),
            ".fields.created: '_created_at' is a system field; Clarify sets it",
        ),
        (
            {"object": "c_project", "match_on": "code", "fields": {"c": "code", "s": "score"}},
            ".fields.s: 'score' is read-only",
        ),
        (
            with_keys(fields={"email": "email_addresses", "full": "name"}),
            ".fields.full: 'name' is an object; map its parts instead (name.first_name, "
            "name.last_name, name.full_name)",
        ),
        (
            {"object": "deal", "match_on": "stage", "fields": {"n": "name", "s": "stage"}},
            ".match_on: 'stage' is not a unique field of deal (unique fields: name)",
        ),
        (
            {"object": "c_project", "match_on": "title", "fields": {"t": "title"}},
            ".match_on: 'title' is not a unique field of c_project (unique fields: code)",
        ),
    ],
)
def test_schema_mistakes(
    block: dict[str, Any], message: str, schemas: dict[str, ObjectSchema]
) -> None:
    error = schema_error(block, schemas)
    assert error.message == WHERE + message
    assert error.hint
