"""Reading a sync-model block from schema.yml into a SyncSpec, with one message per mistake.

Only the block itself is checked here; whether its columns exist in the model and its fields in
Clarify is for ``checks``, once those are known. A key set to null counts as not set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dbt_clarify.errors import ConfigError
from dbt_clarify.spec.fields import COMPANY_LINK_FIELD, canonical_field
from dbt_clarify.spec.messages import BlockLocation, describe, did_you_mean
from dbt_clarify.spec.model import (
    DEFAULT_CURSOR,
    DEFAULT_MATCH_ON,
    DELETE_POLICIES,
    MODES,
    NULL_POLICIES,
    STANDARD_OBJECTS,
    FieldMapping,
    SyncSpec,
)

KNOWN_KEYS = (
    "object",
    "fields",
    "match_on",
    "primary_key",
    "cursor",
    "mode",
    "null_values",
    "create_missing_companies",
    "on_delete",
    "lookback",
    "batch_size",
)
_CUSTOM_OBJECT = re.compile(r"c_[a-z][a-z0-9_]*\Z")
_DURATION = re.compile(r"(\d+)\s*([smhd]?)\Z")
_SECONDS_PER_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_COMPANY_ID = "company_id"
_FIELDS_EXAMPLE = "e.g. `fields: {email: email_addresses, first_name: name.first_name}`"
_MEANING = {
    "object": "object is person, company, deal, or a custom object named c_<snake_case>",
    "match_on": "match_on names the unique Clarify field records are matched on",
    "primary_key": "primary_key names the column that identifies a row, e.g. id",
    "cursor": "cursor names the watermark column (default updated_at), or is none",
    "mode": "upsert: create or update; update: never create; create: never update",
    "null_values": "skip: leave Clarify's value; clear: send null",
    "create_missing_companies": "true creates the companies that linked people lack",
    "on_delete": "ignore: leave Clarify's record; delete: delete records this tool synced",
    "lookback": "give seconds (3600) or a whole number with s, m, h or d: '30m', '2h', '1d'",
    "batch_size": "records per bulk request, e.g. 25",
}
"""What each key means: the hint when its value is wrong."""


def parse_spec(model: str, file: str | None, block_key: str, block: Any) -> SyncSpec:
    """Read and validate one model's block; raise ConfigError naming the key to fix."""
    at = BlockLocation(model, file, block_key)
    if block is None:
        raise ConfigError(
            f"model {at.where} is tagged clarify but has no {block_key} block",
            hint=f"add {block_key} with at least `object` and `fields`, or remove the clarify tag",
        )
    if not isinstance(block, Mapping):
        raise at.error(
            None,
            f"expected a mapping of settings, got {describe(block)}",
            hint="write the block as keys under clarify:, e.g. `object: person`",
        )
    read = _BlockReader(at, block)
    read.reject_unknown_keys()
    object_name = read.object()
    fields = read.fields(object_name)
    match_on, match_column = read.match_on(object_name, fields)
    link_column = next((m.column for m in fields if m.field == COMPANY_LINK_FIELD), None)
    return SyncSpec(
        model=model,
        file=file,
        block_key=block_key,
        object=object_name,
        fields=fields,
        match_on=match_on,
        primary_key=read.text("primary_key") or match_column,
        cursor=read.cursor(),
        mode=read.choice("mode", MODES),
        null_values=read.choice("null_values", NULL_POLICIES),
        create_missing_companies=read.create_missing_companies(link_column),
        on_delete=read.choice("on_delete", DELETE_POLICIES),
        lookback_seconds=read.lookback(),
        batch_size=read.batch_size(),
    )


class _BlockReader:
    """Typed reads of the block's keys, each raising a message that points at its key."""

    def __init__(self, at: BlockLocation, block: Mapping[Any, Any]) -> None:
        self._at = at
        self._block = block

    def reject_unknown_keys(self) -> None:
        for key in self._block:
            if str(key) not in KNOWN_KEYS:
                raise self._at.error(
                    str(key),
                    f"unknown key '{key}'{did_you_mean(str(key), KNOWN_KEYS)}",
                    hint=f"the block's keys are: {', '.join(KNOWN_KEYS)}",
                )

    def text(self, key: str) -> str | None:
        value = self._block.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self._at.error(key, f"expected a name, got {describe(value)}", _MEANING[key])
        return value.strip()

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key)
        if value is None:
            return options[0]
        if value not in options:
            raise self._at.error(
                key, f"unknown {key} '{value}'{did_you_mean(value, options)}", _MEANING[key]
            )
        return value

    def object(self) -> str:
        hint = _MEANING["object"]
        value = self.text("object")
        if value is None:
            raise self._at.error("object", "missing: say which Clarify object rows become", hint)
        if value not in STANDARD_OBJECTS and not _CUSTOM_OBJECT.match(value):
            suggestion = did_you_mean(value, STANDARD_OBJECTS)
            raise self._at.error("object", f"unknown object '{value}'{suggestion}", hint)
        return value

    def fields(self, object_name: str) -> tuple[FieldMapping, ...]:
        raw = self._block.get("fields")
        if raw is None:
            raise self._at.error(
                "fields", "missing: map the model's columns to Clarify fields", _FIELDS_EXAMPLE
            )
        if not isinstance(raw, Mapping):
            raise self._at.error(
                "fields",
                f"expected a mapping of column to Clarify field, got {describe(raw)}",
                _FIELDS_EXAMPLE,
            )
        if not raw:
            raise self._at.error(
                "fields", "is empty: map at least the column holding the match key", _FIELDS_EXAMPLE
            )
        mapped: dict[str, tuple[str, str]] = {}  # canonical field -> (column, as written)
        for raw_column, written in raw.items():
            column = str(raw_column)
            key = f"fields.{column}"
            if not isinstance(written, str) or not written.strip():
                raise self._at.error(
                    key,
                    f"expected a Clarify field name, got {describe(written)}",
                    hint="map one column to one field, e.g. `email: email_addresses`",
                )
            written = written.strip()
            field = canonical_field(object_name, written)
            self._check_company_link(key, object_name, field)
            if field in mapped:
                raise self._mapped_twice(key, field, written, *mapped[field])
            mapped[field] = (column, written)
        if COMPANY_LINK_FIELD in mapped and _COMPANY_ID in mapped:
            raise self._at.error(
                f"fields.{mapped[_COMPANY_ID][0]}",
                f"'{_COMPANY_ID}' and '{COMPANY_LINK_FIELD}' (column "
                f"'{mapped[COMPANY_LINK_FIELD][0]}') both set the person's company",
                hint="keep one: company.domains finds the company by domain, company_id by its id",
            )
        return tuple(FieldMapping(column, field) for field, (column, _) in mapped.items())

    def _check_company_link(self, key: str, object_name: str, field: str) -> None:
        if field == COMPANY_LINK_FIELD and object_name != "person":
            raise self._at.error(
                key,
                f"'{COMPANY_LINK_FIELD}' links a person to a company; a {object_name} has no "
                "such link",
                hint="map the domain in a person model, or remove this mapping",
            )
        if object_name == "person" and field.startswith("company.") and field != COMPANY_LINK_FIELD:
            raise self._at.error(
                key,
                f"unknown company link '{field}'; did you mean '{COMPANY_LINK_FIELD}'?",
                hint="a person is linked to a company through a domain of that company",
            )

    def _mapped_twice(
        self, key: str, field: str, written: str, other_column: str, other_written: str
    ) -> ConfigError:
        if written != other_written:
            older = written if written != field else other_written
            return self._at.error(
                key,
                f"'{written}' and '{other_written}' (column '{other_column}') are the same field: "
                f"'{older}' is the older name of '{field}'",
                hint="keep one of the two mappings",
            )
        return self._at.error(
            key,
            f"field '{field}' is already mapped from column '{other_column}'",
            hint="map each Clarify field from one column; combine values in the model's SQL",
        )

    def match_on(self, object_name: str, fields: tuple[FieldMapping, ...]) -> tuple[str, str]:
        """The match field and the column mapped to it."""
        written = self.text("match_on")
        default = DEFAULT_MATCH_ON.get(object_name)
        if written is None and default is None:
            raise self._at.error(
                "match_on",
                f"missing: custom object '{object_name}' needs the unique field its records are "
                "matched on",
                hint="set match_on to the unique field the object's schema lists in Clarify",
            )
        match_on = canonical_field(object_name, written) if written else str(default)
        if match_on == COMPANY_LINK_FIELD:
            raise self._at.error(
                "match_on",
                f"'{COMPANY_LINK_FIELD}' is a link, not a field records are matched on",
                hint=f"match people on {DEFAULT_MATCH_ON['person']}",
            )
        column = next((m.column for m in fields if m.field == match_on), None)
        if column is None:
            where = "match_on" if written else "fields"
            default_note = "" if written else f" (the default match_on for {object_name})"
            raise self._at.error(
                where,
                f"no column is mapped to the match key '{match_on}'{default_note}",
                hint=f"map the column holding it, e.g. `<column>: {match_on}`",
            )
        return match_on, column

    def cursor(self) -> str | None:
        value = self.text("cursor")
        if value is None:
            return DEFAULT_CURSOR
        return None if value.lower() == "none" else value

    def create_missing_companies(self, link_column: str | None) -> bool:
        key = "create_missing_companies"
        value = self._block.get(key, False)
        if not isinstance(value, bool):
            raise self._at.error(
                key, f"expected true or false, got {describe(value)}", _MEANING[key]
            )
        if value and link_column is None:
            raise self._at.error(
                key,
                f"needs a column mapped to '{COMPANY_LINK_FIELD}' to know which companies to add",
                hint=f"map the company's domain column to {COMPANY_LINK_FIELD}, or remove this key",
            )
        return value

    def lookback(self) -> int:
        value = self._block.get("lookback")
        if value is None:
            return 0
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        found = _DURATION.match(value.strip().lower()) if isinstance(value, str) else None
        if found is None:
            raise self._at.error(
                "lookback",
                f"{describe(value)} is not a duration",
                _MEANING["lookback"],
            )
        return int(found.group(1)) * _SECONDS_PER_UNIT[found.group(2)]

    def batch_size(self) -> int | None:
        value = self._block.get("batch_size")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._at.error(
                "batch_size",
                f"expected a positive whole number, got {describe(value)}",
                _MEANING["batch_size"],
            )
        return value
