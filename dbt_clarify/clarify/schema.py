"""Typed views of Clarify's object schemas (``GET /schemas``), read leniently.

The client parses the response into these, the emulator serves its schemas in the same JSON
Schema form, and sync-model validation checks mappings against them. Unknown JSON Schema keys
are ignored so that new API fields never break a sync.

How Clarify describes a field, as this module reads it:
- scalar: ``{"type": ["string", "null"], "format": "date" | "email" | ..., "enum": [...]}``
- nested object (a person's ``name``): ``{"type": "object", "properties": {...}}``
- collection (``email_addresses``, ``domains``): ``{"type": "object", "properties": {"items":
  {"type": "array", "items": {<scalar>}}}}``
- extensions: ``xClarifyUnique: true`` for upsert keys, ``xClarifyRelationship: {"object":
  "company"}`` for links, ``readOnly: true`` on system fields (names starting with ``_``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def _types(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(t) for t in raw)


@dataclass(frozen=True)
class FieldSchema:
    """One property of an object, with what a writer needs to know about it."""

    name: str
    types: tuple[str, ...] = ()
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    unique: bool = False
    relationship: str | None = None
    read_only: bool = False
    properties: Mapping[str, FieldSchema] = field(default_factory=dict)
    item: FieldSchema | None = None
    """For a collection: the schema of one item."""

    @property
    def is_collection(self) -> bool:
        return self.item is not None

    @property
    def is_object(self) -> bool:
        return bool(self.properties) and not self.is_collection

    @property
    def is_system(self) -> bool:
        return self.name.startswith("_")

    @property
    def nullable(self) -> bool:
        return "null" in self.types

    @property
    def value_type(self) -> str:
        """The non-null JSON type of a scalar (``string``, ``number``, ``integer``, ...)."""
        if self.is_collection:
            return "collection"
        if self.is_object:
            return "object"
        non_null = [t for t in self.types if t != "null"]
        return non_null[0] if non_null else "string"

    @classmethod
    def from_json(cls, name: str, raw: Mapping[str, Any]) -> FieldSchema:
        props = raw.get("properties") or {}
        items_prop = props.get("items") if isinstance(props, Mapping) else None
        item = None
        if isinstance(items_prop, Mapping) and _types(items_prop.get("type")) == ("array",):
            item = cls.from_json(name, items_prop.get("items") or {})
            props = {}
        relationship = raw.get("xClarifyRelationship")
        if isinstance(relationship, Mapping):
            relationship = relationship.get("object")
        enum = raw.get("enum")
        return cls(
            name=name,
            types=_types(raw.get("type")),
            format=raw.get("format"),
            enum=tuple(v for v in enum if v is not None) if isinstance(enum, list) else None,
            unique=bool(raw.get("xClarifyUnique")),
            relationship=str(relationship) if relationship else None,
            read_only=bool(raw.get("readOnly")) or name.startswith("_"),
            properties={k: cls.from_json(k, v) for k, v in props.items() if isinstance(v, Mapping)},
            item=item,
        )


@dataclass(frozen=True)
class ObjectSchema:
    """The fields of one Clarify object (``person``, ``company``, ``deal``, ``c_*``)."""

    object: str
    fields: Mapping[str, FieldSchema]
    required: tuple[str, ...] = ()

    @property
    def unique_fields(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.unique)

    def fingerprint(self) -> str:
        """A digest that changes when a field is added or changed (a new enum option, say)."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def resolve(self, path: str) -> FieldSchema | None:
        """The field at a dotted path such as ``name.first_name``, or None."""
        head, _, rest = path.partition(".")
        current = self.fields.get(head)
        while current is not None and rest:
            head, _, rest = rest.partition(".")
            current = current.properties.get(head)
        return current

    @classmethod
    def from_json(cls, resource: Mapping[str, Any]) -> ObjectSchema:
        """Read one ``{"id": ".../schemas/entities/person", "attributes": {...}}`` resource."""
        object_name = str(resource.get("id", "")).rstrip("/").rsplit("/", 1)[-1]
        attributes = resource.get("attributes") or {}
        properties = attributes.get("properties") or {}
        return cls(
            object=object_name,
            fields={k: FieldSchema.from_json(k, v) for k, v in properties.items()},
            required=tuple(attributes.get("required") or ()),
        )


def parse_schemas(body: Mapping[str, Any]) -> dict[str, ObjectSchema]:
    """Read a ``GET /schemas`` response body into schemas keyed by object name."""
    schemas = (ObjectSchema.from_json(r) for r in body.get("data") or [] if isinstance(r, Mapping))
    return {s.object: s for s in schemas}
