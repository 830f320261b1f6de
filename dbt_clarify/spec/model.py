"""A sync model's block, parsed: which Clarify object its rows become and how columns map."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from dbt_clarify.spec.fields import COMPANY_LINK_FIELD
from dbt_clarify.spec.messages import BlockLocation

STANDARD_OBJECTS = ("person", "company", "deal")
DEFAULT_MATCH_ON = {"person": "email_addresses", "company": "domains", "deal": "name"}
"""Each standard object's upsert key; a custom object names its own."""
DEFAULT_CURSOR = "updated_at"
MODES = ("upsert", "update", "create")
NULL_POLICIES = ("skip", "clear")
DELETE_POLICIES = ("ignore", "delete")
"""What happens in Clarify when a row leaves the model: nothing, or its record is deleted."""


@dataclass(frozen=True)
class FieldMapping:
    """One model column and the Clarify field it fills."""

    column: str
    field: str
    """Canonical dotted path after aliases, e.g. ``name.first_name`` or ``company.domains``."""


@dataclass(frozen=True)
class SyncSpec:
    """Everything a sync needs to know about one model, with defaults filled in."""

    model: str
    file: str | None
    block_key: str
    object: str
    fields: tuple[FieldMapping, ...]
    match_on: str
    primary_key: str
    """The column that identifies a row in sync state and reports."""
    cursor: str | None = DEFAULT_CURSOR
    """The watermark column; None compares every row by content."""
    mode: str = "upsert"
    null_values: str = "skip"
    create_missing_companies: bool = False
    on_delete: str = "ignore"
    lookback_seconds: int = 0
    batch_size: int | None = None

    @property
    def location(self) -> BlockLocation:
        return BlockLocation(self.model, self.file, self.block_key)

    @property
    def company_link_column(self) -> str | None:
        """The column holding the domain of each person's company, if the block links them."""
        return next((m.column for m in self.fields if m.field == COMPANY_LINK_FIELD), None)

    @property
    def attribute_mappings(self) -> tuple[FieldMapping, ...]:
        """The mappings that become record attributes (all but the company link)."""
        return tuple(m for m in self.fields if m.field != COMPANY_LINK_FIELD)

    def mapping_hash(self) -> str:
        """A digest of what decides the records sent and how rows are tracked.

        Key order, aliases and spelled-out defaults do not change it; a changed mapping does, so
        the sync resends that model. ``lookback``, ``batch_size`` and ``on_delete`` are left out:
        they change how rows are read, sent and removed, not what is sent.
        """
        normalised = {
            "version": 1,
            "object": self.object,
            "fields": sorted([m.column, m.field] for m in self.fields),
            "match_on": self.match_on,
            "primary_key": self.primary_key,
            "cursor": self.cursor,
            "mode": self.mode,
            "null_values": self.null_values,
            "create_missing_companies": self.create_missing_companies,
        }
        text = json.dumps(normalised, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()
