"""The workspace's live schemas: standard objects, custom objects, and custom fields that
appear only after a delay, as Clarify applies schema changes asynchronously.

Not thread-safe on its own; the API serialises access with its lock.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbt_clarify.clarify.schema import ObjectSchema
from dbt_clarify.emulator.config import EmulatorConfig
from dbt_clarify.emulator.custom_fields import check_definitions
from dbt_clarify.emulator.problems import ApiError
from dbt_clarify.emulator.schemas import (
    STANDARD_OBJECTS,
    SYSTEM_PROPERTIES,
    JsonSchema,
    standard_properties,
    standard_required,
)
from dbt_clarify.emulator.validation import ObjectRules

CUSTOM_OBJECT_NAME = re.compile(r"^c_[a-z][a-z0-9_]*$")
SCHEMA_LOCKED = "Schema is being modified by another request"


@dataclass(frozen=True)
class _CustomField:
    definition: JsonSchema
    ready_at: float


class SchemaCatalog:
    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._custom_objects: dict[str, dict[str, JsonSchema]] = {}
        self._custom_fields: dict[str, dict[str, _CustomField]] = {}
        self._compiled_cache: dict[tuple[Any, ...], tuple[ObjectSchema, ObjectRules]] = {}

    def reset(self) -> None:
        """Forget custom fields; custom objects stay defined, without their added fields."""
        self._custom_fields.clear()
        self._compiled_cache.clear()

    def define_object(self, name: str, properties: dict[str, JsonSchema], unique: str) -> None:
        """Define (or redefine) a custom object whose upsert key is ``unique``."""
        if not CUSTOM_OBJECT_NAME.match(name):
            raise ValueError(f"custom object names look like c_<snake_case>, not {name!r}")
        if unique not in properties:
            raise ValueError(f"unique field {unique!r} is not among the properties of {name}")
        if any(key.startswith("_") for key in properties):
            raise ValueError("custom object properties cannot start with '_' (system fields)")
        own = {key: dict(value) for key, value in properties.items()}
        own[unique]["xClarifyUnique"] = True
        self._custom_objects[name] = own
        self._custom_fields.pop(name, None)
        self._compiled_cache.clear()

    def objects(self) -> list[str]:
        return [*STANDARD_OBJECTS, *self._custom_objects]

    def has(self, name: str) -> bool:
        return name in STANDARD_OBJECTS or name in self._custom_objects

    def schema(self, name: str) -> ObjectSchema:
        """The typed view of an object as a writer sees it now (ready custom fields only)."""
        return self._compiled(name)[0]

    def rules(self, name: str) -> ObjectRules:
        """What a write to the object must satisfy now."""
        return self._compiled(name)[1]

    def _compiled(self, name: str) -> tuple[ObjectSchema, ObjectRules]:
        key = (name, self._config.legacy_person_fields, tuple(self._ready_fields(name)))
        if key not in self._compiled_cache:
            schema = ObjectSchema.from_json(self.resource(name, "schemas/entities"))
            self._compiled_cache[key] = (schema, ObjectRules(schema))
        return self._compiled_cache[key]

    def resource(self, name: str, id_prefix: str) -> dict[str, Any]:
        """One object's entry in GET /schemas."""
        properties = {**SYSTEM_PROPERTIES, **self._own_properties(name), **self._ready_fields(name)}
        return {
            "id": f"{id_prefix}/{name}",
            "type": "schema",
            "attributes": {
                "title": name,
                "type": "object",
                "properties": properties,
                "required": list(standard_required(name)),
            },
        }

    def add_fields(self, name: str, body: Any) -> None:
        """Accept custom field definitions; they become visible after ``schema_delay_s``."""
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("type") != "schema-properties":
            raise ApiError.one(
                422, 'body must be {"data": {"type": "schema-properties", ...}}', "/data"
            )
        if not self.has(name):
            raise ApiError.one(404, f"unknown object {name!r}")
        now = self._clock()
        if any(
            f.ready_at > now for fields in self._custom_fields.values() for f in fields.values()
        ):
            raise ApiError.one(409, SCHEMA_LOCKED)
        attributes = data.get("attributes")
        known = {*SYSTEM_PROPERTIES, *self._own_properties(name), *self._ready_fields(name)}
        problems = check_definitions(attributes, known, "/data/attributes")
        if problems or not isinstance(attributes, dict):
            raise ApiError(problems)
        ready_at = now + self._config.schema_delay_s
        fields = self._custom_fields.setdefault(name, {})
        for field_name, definition in attributes.items():
            fields[field_name] = _CustomField(dict(definition), ready_at)

    def edit_field(self, name: str, field: str, definition: JsonSchema) -> None:
        """Replace a ready custom field's definition, as an admin editing it in Clarify's app."""
        current = self._custom_fields.get(name, {}).get(field)
        if current is None or current.ready_at > self._clock():
            raise ValueError(f"{name} has no ready custom field {field!r} to edit")
        self._custom_fields[name][field] = _CustomField(dict(definition), current.ready_at)
        self._compiled_cache.clear()

    def _own_properties(self, name: str) -> dict[str, JsonSchema]:
        if name in self._custom_objects:
            return self._custom_objects[name]
        return standard_properties(name, legacy_person_fields=self._config.legacy_person_fields)

    def _ready_fields(self, name: str) -> dict[str, JsonSchema]:
        now = self._clock()
        fields = self._custom_fields.get(name, {})
        return {key: f.definition for key, f in fields.items() if f.ready_at <= now}
