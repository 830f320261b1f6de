"""The standard objects' schemas, in the JSON Schema form GET /schemas serves.

The form is the one ``dbt_clarify.clarify.schema`` documents and parses, so the client, the
emulator and sync-model validation agree on what a field is.
"""

from __future__ import annotations

from typing import Any

JsonSchema = dict[str, Any]

DEAL_STAGES = ("Prospecting", "Qualified", "Proposal", "Won", "Lost")

SYSTEM_PROPERTIES: dict[str, JsonSchema] = {
    "_id": {"type": "string", "readOnly": True},
    "_created_at": {"type": "string", "format": "date-time", "readOnly": True},
    "_updated_at": {"type": "string", "format": "date-time", "readOnly": True},
}


def text(**extra: Any) -> JsonSchema:
    return {"type": ["string", "null"], **extra}


def collection(item: JsonSchema, *, unique: bool = False) -> JsonSchema:
    """A multi-valued field, written as ``{"items": [...]}``."""
    prop: JsonSchema = {"type": "object", "properties": {"items": {"type": "array", "items": item}}}
    if unique:
        prop["xClarifyUnique"] = True
    return prop


def link(object_name: str) -> JsonSchema:
    return text(xClarifyRelationship={"object": object_name})


def _person(*, legacy: bool) -> dict[str, JsonSchema]:
    if legacy:
        naming = {"first_name": text(), "last_name": text(), "title": text()}
    else:
        naming = {
            "name": {
                "type": ["object", "null"],
                "properties": {"first_name": text(), "last_name": text(), "full_name": text()},
            },
            "job_title": text(),
        }
    return {
        **naming,
        "email_addresses": collection({"type": "string", "format": "email"}, unique=True),
        "phone_numbers": collection({"type": "string"}),
        "company_id": link("company"),
        "labels": collection({"type": "string"}),
    }


def _company() -> dict[str, JsonSchema]:
    return {
        "name": text(),
        "domains": collection({"type": "string", "format": "hostname"}, unique=True),
        "industry": text(),
        "employee_count": {"type": ["integer", "null"]},
        "labels": collection({"type": "string"}),
    }


def _deal() -> dict[str, JsonSchema]:
    return {
        "name": text(xClarifyUnique=True),
        "stage": text(enum=[*DEAL_STAGES, None]),
        "amount": {"type": ["number", "null"]},
        "close_date": text(format="date"),
        "company_id": link("company"),
    }


STANDARD_OBJECTS = ("person", "company", "deal")


def standard_properties(object_name: str, *, legacy_person_fields: bool) -> dict[str, JsonSchema]:
    """A standard object's own fields (system fields are added by the catalog)."""
    if object_name == "person":
        return _person(legacy=legacy_person_fields)
    if object_name == "company":
        return _company()
    if object_name == "deal":
        return _deal()
    raise KeyError(object_name)


def standard_required(object_name: str) -> tuple[str, ...]:
    """Fields a create must carry: a deal is known by its name."""
    return ("name",) if object_name == "deal" else ()
