"""Reads JSON:API write bodies into write requests, refusing anything off the contract.

Unknown top-level keys, a wrong ``type``, an ``id`` on create, a ``match_on`` that is not a
unique field or a ``meta`` strategy for a field that is not a collection are all 422, so a
client cannot come to rely on something the real API would ignore or reject. Problems with
single records are handed on with the request, so that the answer lists them together with the
attribute problems found while planning.
"""

from __future__ import annotations

from typing import Any

from dbt_clarify.emulator.problems import ApiError, Problem
from dbt_clarify.emulator.validation import ObjectRules
from dbt_clarify.emulator.writes import COLLECTION_STRATEGIES, WriteItem, WriteRequest

CREATE_KEYS = frozenset({"data", "match_on", "meta"})
UPDATE_KEYS = frozenset({"data", "meta"})
RESOURCE_KEYS = frozenset({"type", "id", "attributes"})


def read_create(
    body: Any, rules: ObjectRules, *, bulk: bool, batch_cap: int | None
) -> WriteRequest:
    """A create or upsert: POST /objects/{object}/records[/bulk]."""
    problems = _top_level(body, CREATE_KEYS)
    items_raw = _data(body, bulk=bulk, batch_cap=batch_cap)
    items = []
    for pointer, raw in items_raw:
        problems.extend(_resource(raw, rules.object, pointer))
        if isinstance(raw, dict) and "id" in raw:
            problems.append(
                Problem(
                    422, "id is assigned by Clarify; do not send one on create", f"{pointer}/id"
                )
            )
        items.append(WriteItem(pointer, raw.get("attributes") if isinstance(raw, dict) else None))
    match_on = body.get("match_on")
    if match_on is not None and match_on not in rules.unique:
        unique = ", ".join(rules.unique) or "none"
        problems.append(
            Problem(
                422,
                f"match_on must name a unique field of {rules.object} ({unique}), not {match_on!r}",
                "/match_on",
            )
        )
        match_on = None
    strategies = _strategies(body.get("meta"), rules, problems)
    return WriteRequest(rules.object, items, match_on, strategies, tuple(problems))


def read_update(
    body: Any, rules: ObjectRules, *, path_id: str | None, batch_cap: int | None
) -> WriteRequest:
    """An update by id: PATCH /objects/{object}/records (bulk) or .../records/{id} (one)."""
    problems = _top_level(body, UPDATE_KEYS)
    items_raw = _data(body, bulk=path_id is None, batch_cap=batch_cap)
    items = []
    for pointer, raw in items_raw:
        problems.extend(_resource(raw, rules.object, pointer))
        record_id = raw.get("id", path_id) if isinstance(raw, dict) else None
        if not isinstance(record_id, str) or not record_id:
            problems.append(Problem(422, "id is required to update a record", f"{pointer}/id"))
        elif path_id is not None and record_id != path_id:
            problems.append(Problem(422, "id does not match the id in the URL", f"{pointer}/id"))
        attributes = raw.get("attributes") if isinstance(raw, dict) else None
        target = path_id or (record_id if isinstance(record_id, str) else None)
        items.append(WriteItem(pointer, attributes, target))
    strategies = _strategies(body.get("meta"), rules, problems)
    return WriteRequest(rules.object, items, None, strategies, tuple(problems))


def read_id_list(body: Any, *, batch_cap: int | None) -> list[str]:
    """The ids of a bulk delete: ``{"items": [id, ...]}``."""
    problems = _top_level(body, frozenset({"items"}))
    ids = body.get("items")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        problems.append(Problem(422, "items must be a non-empty list of record ids", "/items"))
    if problems:
        raise ApiError(problems)
    _check_cap(len(ids), batch_cap)
    return ids


def _top_level(body: Any, allowed: frozenset[str]) -> list[Problem]:
    if not isinstance(body, dict):
        raise ApiError.one(400, "the request body must be a JSON object")
    return [
        Problem(422, f"unknown top-level key {key!r}", f"/{key}")
        for key in body
        if key not in allowed
    ]


def _data(body: dict[str, Any], *, bulk: bool, batch_cap: int | None) -> list[tuple[str, Any]]:
    data = body.get("data")
    if bulk:
        if not isinstance(data, list) or not data:
            raise ApiError.one(422, "data must be a non-empty list of records", "/data")
        _check_cap(len(data), batch_cap)
        return [(f"/data/{index}", raw) for index, raw in enumerate(data)]
    if not isinstance(data, dict):
        raise ApiError.one(422, "data must be one record object", "/data")
    return [("/data", data)]


def _check_cap(count: int, batch_cap: int | None) -> None:
    if batch_cap is not None and count > batch_cap:
        raise ApiError.one(413, f"{count} records in one request; at most {batch_cap} allowed")


def _resource(raw: Any, object_name: str, pointer: str) -> list[Problem]:
    if not isinstance(raw, dict):
        return [Problem(422, "each record must be an object", pointer)]
    problems = [
        Problem(422, f"unknown key {key!r} in a record", f"{pointer}/{key}")
        for key in raw
        if key not in RESOURCE_KEYS
    ]
    if raw.get("type") != object_name:
        problems.append(Problem(422, f"type must be {object_name!r}", f"{pointer}/type"))
    return problems


def _strategies(meta: Any, rules: ObjectRules, problems: list[Problem]) -> dict[str, str]:
    """Collection write strategies from ``{"meta": {field: {"collection": strategy}}}``."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        problems.append(Problem(422, "meta must be an object", "/meta"))
        return {}
    strategies = {}
    for name, spec in meta.items():
        field = rules.fields.get(name)
        strategy = spec.get("collection") if isinstance(spec, dict) else None
        if field is None or field.kind != "collection":
            problems.append(Problem(422, f"{name!r} is not a collection field", f"/meta/{name}"))
        elif not isinstance(spec, dict) or set(spec) != {"collection"}:
            problems.append(
                Problem(422, 'a meta entry must be {"collection": <strategy>}', f"/meta/{name}")
            )
        elif strategy not in COLLECTION_STRATEGIES:
            choices = " | ".join(COLLECTION_STRATEGIES)
            problems.append(
                Problem(422, f"collection strategy must be {choices}", f"/meta/{name}/collection")
            )
        else:
            strategies[name] = strategy
    return strategies
