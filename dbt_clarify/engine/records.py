"""Warehouse rows turned into Clarify records, each checked before it can reach a bulk request.

A RecordBuilder is made once per model and batch stream: it works out from the block and the
object's schema where each column goes and how its values are normalised, so that building a
record per row is one pass over precomputed slots. A row Clarify would refuse comes back as a
RejectedRow with the reason, instead of failing the whole atomic bulk request it would join.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema
from dbt_clarify.engine import normalize
from dbt_clarify.engine.normalize import InvalidValue, Normalizer
from dbt_clarify.spec import COMPANY_LINK_FIELD, SyncSpec, column_positions, field_targets


@dataclass(slots=True)
class BuiltRecord:
    """A row ready to send (one per row: not frozen, see ``ChangedRow``)."""

    key: str
    """The normalised match-key value: lower-cased email, bare domain, deal name, ..."""
    attributes: dict[str, Any]
    """The record's attributes as the API takes them (nested ``name``, ``{"items": [...]}``)."""
    company_domain: str | None
    """The normalised domain of the person's company, for linking; None when not linked."""


@dataclass(frozen=True)
class RejectedRow:
    """A row that will not be sent, and why."""

    key: str
    """The row's primary key as text (empty when null), for reports."""
    reason: str
    """E.g. ``email_addresses: 'jane@' is not a valid email address``."""
    field: str | None


class _Slot(NamedTuple):
    """One mapped column: where its value is read, how it is normalised, where it goes.

    A tuple, so that the per-row loop unpacks it instead of looking up attributes.
    """

    position: int
    normalize: Normalizer
    parents: tuple[str, ...]
    """Keys of the nested objects holding the value (``("name",)``), outermost first."""
    leaf: str
    sends_null: bool
    """Whether a null is sent (``null_values: clear``, scalars only) rather than left out."""


_BY_VALUE_TYPE: dict[str, Normalizer] = {
    "number": normalize.number,
    "integer": normalize.integer,
    "boolean": normalize.boolean,
}


def _normalizer_for(field: FieldSchema) -> Normalizer:
    """How values bound for this field are normalised, read from its schema."""
    if field.item is not None:
        return normalize.collection(_normalizer_for(field.item))
    if field.enum:
        return normalize.one_of(field.enum)
    if field.format == "email" or field.name == "email_addresses":
        return normalize.email
    if field.format in ("hostname", "idn-hostname") or field.name == "domains":
        return normalize.domain
    if field.format == "date":
        return normalize.iso_date
    return _BY_VALUE_TYPE.get(field.value_type, normalize.text)


class RecordBuilder:
    """Builds the records of one sync model from rows whose values come in ``columns`` order.

    Raises ConfigError at construction when the block does not fit the columns or the schema.
    """

    def __init__(self, spec: SyncSpec, schema: ObjectSchema, columns: Sequence[str]) -> None:
        positions = column_positions(spec, columns)
        targets = field_targets(spec, schema)
        clear = spec.null_values == "clear"
        # The match key first, so that a bad key is the reason a row is rejected.
        mappings = sorted(spec.attribute_mappings, key=lambda m: m.field != spec.match_on)
        slots = [
            _Slot(
                position=positions[m.column],
                normalize=_normalizer_for(targets[m.column].schema),
                parents=targets[m.column].path[:-1],
                leaf=targets[m.column].path[-1],
                sends_null=clear and not targets[m.column].schema.is_collection,
            )
            for m in mappings
        ]
        link_column = spec.company_link_column
        if link_column is not None:
            # Normalised like a field, then taken out of the attributes: it is not one.
            link = _Slot(positions[link_column], normalize.domain, (), COMPANY_LINK_FIELD, False)
            slots.append(link)
        self._slots = tuple(slots)
        self._field_at = {positions[m.column]: m.field for m in spec.fields}
        match = targets[next(m.column for m in mappings if m.field == spec.match_on)]
        self._match_on = spec.match_on
        self._match_attribute = match.path[0]
        self._match_is_collection = match.schema.is_collection
        self._key_position = positions[spec.primary_key]
        self._collection_fields = tuple(
            t.path[0] for t in targets.values() if t.schema.is_collection
        )

    @property
    def collection_fields(self) -> tuple[str, ...]:
        """Attributes that are collections, sent with the ``append`` write strategy."""
        return self._collection_fields

    def build(self, values: Sequence[Any]) -> BuiltRecord | RejectedRow:
        """The record for one row, or the reason it cannot be sent."""
        attributes: dict[str, Any] = {}
        for position, normalize_value, parents, leaf, sends_null in self._slots:
            raw = values[position]
            if raw is not None:
                try:
                    value = normalize_value(raw)
                except InvalidValue as invalid:
                    return self._reject(values, self._field_at[position], invalid)
                if value is None and not sends_null:
                    continue
            elif sends_null:
                value = None
            else:
                continue
            if parents:
                target = attributes
                for parent in parents:
                    target = target.setdefault(parent, {})
                target[leaf] = value
            else:
                attributes[leaf] = value
        key = attributes.get(self._match_attribute)
        if key is None:
            return self._reject(values, self._match_on, "empty match key")
        company_domain = attributes.pop(COMPANY_LINK_FIELD, None)
        match_value = key["items"][0] if self._match_is_collection else key
        return BuiltRecord(str(match_value), attributes, company_domain)

    def _reject(self, values: Sequence[Any], field: str, reason: object) -> RejectedRow:
        raw_key = values[self._key_position]
        return RejectedRow("" if raw_key is None else str(raw_key), f"{field}: {reason}", field)
