"""Rows to Clarify records: normalisation, local checks, null policy, aliases and legacy schemas."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dbt_clarify.clarify.schema import ObjectSchema, parse_schemas
from dbt_clarify.engine import normalize
from dbt_clarify.engine.records import BuiltRecord, RecordBuilder, RejectedRow
from dbt_clarify.errors import ConfigError
from dbt_clarify.spec import parse_spec

SCHEMAS_JSON = json.loads((Path(__file__).parents[1] / "clarify_schemas.json").read_text())
SCHEMAS = parse_schemas(SCHEMAS_JSON["current"])
LEGACY_PERSON = parse_schemas(SCHEMAS_JSON["legacy_person"])["person"]

PERSON_FIELDS = {
    "email": "email_addresses",
    "first_name": "first_name",
    "last_name": "name.last_name",
    "title": "title",
    "company_domain": "company.domains",
    "lifecycle_stage": "lifecycle_stage",
}
PERSON_COLUMNS = [*PERSON_FIELDS, "updated_at"]
JANE = ("Jane@Acme.com", "Jane", "Doe", "CTO", "acme.com", "Lead", None)


def builder(
    fields: dict[str, str],
    columns: list[str] | None = None,
    *,
    object_name: str = "person",
    schema: ObjectSchema | None = None,
    **keys: Any,
) -> RecordBuilder:
    block = {"object": object_name, "fields": fields, **keys}
    spec = parse_spec("clarify_test", "models/schema.yml", "config.meta.clarify", block)
    columns = columns if columns is not None else [*fields, "updated_at"]
    return RecordBuilder(spec, schema or SCHEMAS[object_name], columns)


def built(record: BuiltRecord | RejectedRow) -> BuiltRecord:
    assert isinstance(record, BuiltRecord), record
    return record


def rejected(record: BuiltRecord | RejectedRow) -> RejectedRow:
    assert isinstance(record, RejectedRow), record
    return record


def person(**overrides: Any) -> tuple[Any, ...]:
    """Jane's row with some columns replaced."""
    row = dict(zip(PERSON_COLUMNS, JANE, strict=True))
    row.update(overrides)
    return tuple(row.values())


PEOPLE = builder(PERSON_FIELDS)


# --- the whole record -------------------------------------------------------------------------


def test_person_row_becomes_a_record_ready_for_the_api() -> None:
    row = person(
        email="  Jane@ACME.com ", first_name=" Jane ", company_domain="https://www.Acme.com/"
    )
    record = built(PEOPLE.build(row))
    assert record == BuiltRecord(
        key="jane@acme.com",
        attributes={
            "email_addresses": {"items": ["jane@acme.com"]},
            "name": {"first_name": "Jane", "last_name": "Doe"},
            "job_title": "CTO",
            "lifecycle_stage": "Lead",
        },
        company_domain="acme.com",
    )
    assert PEOPLE.collection_fields == ("email_addresses",)


def test_aliases_and_current_names_build_the_same_record() -> None:
    current = builder(
        {**PERSON_FIELDS, "first_name": "name.first_name", "title": "job_title"}, PERSON_COLUMNS
    )
    assert current.build(JANE) == PEOPLE.build(JANE)


def test_legacy_schema_gets_the_older_top_level_names() -> None:
    fields = {"email": "email_addresses", "first_name": "name.first_name", "title": "title"}
    record = built(
        builder(fields, schema=LEGACY_PERSON).build(("jane@acme.com", "Jane", "CTO", None))
    )
    assert record.attributes == {
        "email_addresses": {"items": ["jane@acme.com"]},
        "first_name": "Jane",
        "title": "CTO",
    }


def test_columns_from_the_warehouse_match_ignoring_case() -> None:
    upper = builder(PERSON_FIELDS, [c.upper() for c in PERSON_COLUMNS])
    assert upper.build(JANE) == PEOPLE.build(JANE)


def test_columns_may_come_in_any_order() -> None:
    shuffled = list(reversed(PERSON_COLUMNS))
    row = tuple(reversed(JANE))
    assert builder(PERSON_FIELDS, shuffled).build(row) == PEOPLE.build(JANE)


def test_a_mapped_column_missing_from_the_rows_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"fields\.title: unknown column 'title'"):
        builder(PERSON_FIELDS, [c for c in PERSON_COLUMNS if c != "title"])


def test_an_unknown_field_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown field 'nickname' on person"):
        builder({"email": "email_addresses", "nick": "nickname"})


# --- emails and the match key -----------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "jane@",
        "jane",
        "@acme.com",
        "jane@acme",
        "ja ne@acme.com",
        "jane@@acme.com",
        "jane@acme..com",
    ],
)
def test_invalid_email_is_rejected_with_the_reason(email: str) -> None:
    row = rejected(PEOPLE.build(person(email=email)))
    assert row.reason == f"email_addresses: {email!r} is not a valid email address"
    assert row.field == "email_addresses"
    assert row.key == email


@pytest.mark.parametrize("empty", [None, "", "   ", [], [None, " "]])
def test_row_without_a_match_key_is_rejected(empty: Any) -> None:
    row = rejected(PEOPLE.build(person(email=empty)))
    assert row.reason == "email_addresses: empty match key"
    assert row.field == "email_addresses"


def test_rejected_row_reports_the_primary_key_as_text() -> None:
    keyed = builder(PERSON_FIELDS, [*PERSON_COLUMNS, "person_id"], primary_key="person_id")
    assert rejected(keyed.build((*person(email="jane@"), 42))).key == "42"
    assert rejected(keyed.build((*person(email="jane@"), None))).key == ""


def test_a_bad_match_key_is_the_reason_even_when_other_fields_are_bad_too() -> None:
    row = rejected(PEOPLE.build(person(email="jane@", lifecycle_stage="lead")))
    assert row.field == "email_addresses"


def test_several_emails_in_a_list_value_deduplicated() -> None:
    record = built(PEOPLE.build(person(email=["B@acme.com", "a@acme.com", "b@ACME.com ", None])))
    assert record.attributes["email_addresses"] == {"items": ["b@acme.com", "a@acme.com"]}
    assert record.key == "b@acme.com"


# --- domains and the company link -------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "host"),
    [
        ("acme.com", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("https://www.Acme.com/about?x=1#top", "acme.com"),
        ("http://acme.com:8080/", "acme.com"),
        ("acme.com/", "acme.com"),
        ("www.acme.io", "acme.io"),
        ("sub.acme.co.uk", "sub.acme.co.uk"),
        ("www.com", "www.com"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("München.de", "münchen.de"),
    ],
)
def test_domains_are_reduced_to_a_bare_host(written: str, host: str) -> None:
    assert built(PEOPLE.build(person(company_domain=written))).company_domain == host


@pytest.mark.parametrize(
    "written", ["acme", "acme corp.com", "1.2.3.4", "acme_corp.com", "jane@acme.com", "-acme.com"]
)
def test_invalid_company_domain_is_rejected(written: str) -> None:
    row = rejected(PEOPLE.build(person(company_domain=written)))
    assert row.reason == f"company.domains: {written!r} is not a valid domain"
    assert row.field == "company.domains"


def test_person_without_company_domain_is_not_linked() -> None:
    record = built(PEOPLE.build(person(company_domain=None)))
    assert record.company_domain is None
    assert "company" not in record.attributes


def test_company_domains_collection_and_key() -> None:
    companies = builder(
        {"website": "domains", "company_name": "name", "staff": "employee_count"},
        object_name="company",
    )
    record = built(companies.build(("https://www.Acme.com", " Acme ", 12, None)))
    assert record == BuiltRecord(
        key="acme.com",
        attributes={"domains": {"items": ["acme.com"]}, "name": "Acme", "employee_count": 12},
        company_domain=None,
    )
    row = rejected(companies.build(("not a domain", "Acme", 12, None)))
    assert row.reason == "domains: 'not a domain' is not a valid domain"


# --- collections ------------------------------------------------------------------------------

PHONES = builder({"email": "email_addresses", "phones": "phone_numbers", "tags": "labels"})


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("+1 555 0100", ["+1 555 0100"]),
        (["+1 555 0100", " +1 555 0100 ", "", None, "+1 555 0199"], ["+1 555 0100", "+1 555 0199"]),
        (("a", "b"), ["a", "b"]),
        ('["a", "b", "a"]', ["a", "b"]),
        ("[not json]", ["[not json]"]),
    ],
)
def test_collections_from_one_value_or_a_list(value: Any, items: list[str]) -> None:
    record = built(PHONES.build(("jane@acme.com", value, None, None)))
    assert record.attributes["phone_numbers"] == {"items": items}
    assert PHONES.collection_fields == ("email_addresses", "phone_numbers", "labels")


@pytest.mark.parametrize("null_values", ["skip", "clear"])
@pytest.mark.parametrize("empty", [None, "", [], [None, ""]])
def test_empty_collections_are_left_out_whatever_the_null_policy(
    null_values: str, empty: Any
) -> None:
    phones = builder(
        {"email": "email_addresses", "phones": "phone_numbers"}, null_values=null_values
    )
    assert built(phones.build(("jane@acme.com", empty, None))).attributes == {
        "email_addresses": {"items": ["jane@acme.com"]}
    }


# --- null policy ------------------------------------------------------------------------------


def test_skip_leaves_null_and_blank_values_out() -> None:
    record = built(
        PEOPLE.build(person(first_name=None, last_name="  ", title=None, lifecycle_stage=None))
    )
    assert record.attributes == {"email_addresses": {"items": ["jane@acme.com"]}}


def test_clear_sends_null_for_scalars_nested_or_not() -> None:
    clearing = builder(PERSON_FIELDS, PERSON_COLUMNS, null_values="clear")
    record = built(
        clearing.build(person(first_name=None, last_name="", title=None, lifecycle_stage=None))
    )
    assert record.attributes == {
        "email_addresses": {"items": ["jane@acme.com"]},
        "name": {"first_name": None, "last_name": None},
        "job_title": None,
        "lifecycle_stage": None,
    }


# --- strings, enums, booleans -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("  Chief  ", "Chief"),
        (42, "42"),
        (Decimal("1.50"), "1.50"),
        (True, "true"),
        (date(2024, 3, 1), "2024-03-01"),
    ],
)
def test_strings_are_trimmed_and_other_values_written_out(value: Any, text: str) -> None:
    assert built(PEOPLE.build(person(title=value))).attributes["job_title"] == text


def test_a_list_for_a_single_valued_field_is_rejected() -> None:
    assert rejected(PEOPLE.build(person(title=["CTO"]))).reason == (
        "job_title: expected one value, got a list"
    )


def test_enum_values_are_case_sensitive_and_the_allowed_values_listed() -> None:
    assert (
        built(PEOPLE.build(person(lifecycle_stage=" Customer "))).attributes["lifecycle_stage"]
        == "Customer"
    )
    row = rejected(PEOPLE.build(person(lifecycle_stage="lead")))
    assert row.reason == "lifecycle_stage: 'lead' is not one of the allowed values: Lead, Customer"
    assert row.field == "lifecycle_stage"


PROJECTS = builder(
    {"code": "code", "active": "active", "budget": "budget"},
    object_name="c_project",
    match_on="code",
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("yes", True),
        (" F ", False),
        ("TRUE", True),
    ],
)
def test_booleans(value: Any, expected: bool) -> None:
    record = built(PROJECTS.build(("P-1", value, None, None)))
    assert record.attributes == {"code": "P-1", "active": expected}
    assert record.key == "P-1"


@pytest.mark.parametrize("value", ["maybe", 2, 1.0])
def test_values_that_are_not_booleans_are_rejected(value: Any) -> None:
    assert rejected(PROJECTS.build(("P-1", value, None, None))).reason == (
        f"active: {value!r} is not true or false"
    )


# --- dates and numbers ------------------------------------------------------------------------

DEALS = builder(
    {"deal_name": "name", "stage": "stage", "amount": "amount", "close_date": "close_date"},
    object_name="deal",
)


def deal(**values: Any) -> tuple[Any, ...]:
    row = {
        "deal_name": "Acme renewal",
        "stage": None,
        "amount": None,
        "close_date": None,
        "updated_at": None,
    }
    row.update(values)
    return tuple(row.values())


def test_deal_key_is_its_trimmed_name_and_empty_names_are_rejected() -> None:
    assert built(DEALS.build(deal(deal_name="  Acme renewal "))).key == "Acme renewal"
    assert rejected(DEALS.build(deal(deal_name=" "))).reason == "name: empty match key"


@pytest.mark.parametrize(
    "value",
    [
        date(2024, 3, 1),
        datetime(2024, 3, 1, 23, 30),
        datetime(2024, 3, 1, 23, 30, tzinfo=timezone.utc),
        "2024-03-01",
        " 2024-03-01 ",
        "2024-03-01T10:00:00Z",
        "2024-03-01 23:59:59.123456+02:00",
    ],
)
def test_dates_are_sent_as_year_month_day(value: Any) -> None:
    assert built(DEALS.build(deal(close_date=value))).attributes["close_date"] == "2024-03-01"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("03/01/2024", "'03/01/2024' is not a date (expected YYYY-MM-DD)"),
        ("2024-13-01", "'2024-13-01' is not a date (expected YYYY-MM-DD)"),
        ("soon", "'soon' is not a date (expected YYYY-MM-DD)"),
        (20240301, "expected a date, got an int"),
    ],
)
def test_unparseable_dates_are_rejected(value: Any, reason: str) -> None:
    row = rejected(DEALS.build(deal(close_date=value)))
    assert row.reason == f"close_date: {reason}"
    assert row.field == "close_date"


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (1234, 1234),
        (Decimal("10.00"), 10),
        (Decimal("1234.5"), 1234.5),
        (12.34567, 12.3457),
        (Decimal("0.00005"), 0.0001),
        (Decimal("-0.00005"), -0.0001),
        ("42", 42),
        (" 19.99 ", 19.99),
        (Decimal("999999999999.9999"), 999999999999.9999),
    ],
)
def test_numbers_fit_decimal_16_4_and_are_json_numbers(value: Any, sent: float) -> None:
    amount = built(DEALS.build(deal(amount=value))).attributes["amount"]
    assert amount == sent
    assert type(amount) is type(sent)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (Decimal("1000000000000"), "amount: 1000000000000 is too large for Clarify"),
        (1e15, "amount: 1000000000000000.0 is too large for Clarify"),
        (Decimal("999999999999.99995"), "amount: 999999999999.99995 is too large for Clarify"),
        (math.nan, "amount: nan is not a number Clarify can store"),
        (math.inf, "amount: inf is not a number Clarify can store"),
        (Decimal("NaN"), "amount: NaN is not a number Clarify can store"),
        ("lots", "amount: 'lots' is not a number"),
        (True, "amount: expected a number, got a bool"),
    ],
)
def test_numbers_clarify_would_refuse_are_rejected(value: Any, reason: str) -> None:
    row = rejected(DEALS.build(deal(amount=value)))
    assert row.reason.startswith(reason)
    assert row.field == "amount"


@pytest.mark.parametrize(("value", "sent"), [(12, 12), (Decimal("12.0"), 12), (12.0, 12), ("7", 7)])
def test_integer_fields_get_ints(value: Any, sent: int) -> None:
    companies = builder({"domain": "domains", "staff": "employee_count"}, object_name="company")
    staff = built(companies.build(("acme.com", value, None))).attributes["employee_count"]
    assert staff == sent
    assert type(staff) is int


def test_fractions_are_not_truncated_into_integer_fields() -> None:
    companies = builder({"domain": "domains", "staff": "employee_count"}, object_name="company")
    assert rejected(companies.build(("acme.com", 12.5, None))).reason == (
        "employee_count: 12.5 is not a whole number"
    )


def test_deal_stage_enum() -> None:
    assert built(DEALS.build(deal(stage="Won"))).attributes["stage"] == "Won"
    assert rejected(DEALS.build(deal(stage="won"))).reason == (
        "stage: 'won' is not one of the allowed values: Prospecting, Qualified, Won, Lost"
    )


# --- normalisers on their own -----------------------------------------------------------------


def test_number_rounds_half_away_from_zero_to_four_places() -> None:
    assert normalize.number(Decimal("1.23445")) == 1.2345
    assert normalize.number(Decimal("-1.23445")) == -1.2345
    assert normalize.number("  ") is None


def test_domain_refuses_values_that_are_not_text() -> None:
    with pytest.raises(normalize.InvalidValue, match="expected a domain, got a list"):
        normalize.domain(["acme.com"])
