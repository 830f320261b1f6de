"""Creates, upserts and updates, applied all-or-nothing.

A write request is first planned against the store as it stands: every item is validated,
matched (``match_on``), merged with the record it updates (collection strategies from ``meta``),
and checked for unique-key collisions, both with stored records and with the other items of the
same batch. Only when no item has a problem is anything stored, which is how Clarify's bulk
endpoint behaves: one bad record rejects the whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dbt_clarify.emulator.problems import ApiError, Problem
from dbt_clarify.emulator.store import Record, RecordStore, UniqueKeys, attributes_of
from dbt_clarify.emulator.validation import FieldRule, ObjectRules, match_key

COLLECTION_STRATEGIES = ("append", "remove", "replace")

# The classes made once for every record written are named tuples: a frozen dataclass takes
# about twice as long to create.


class WriteItem(NamedTuple):
    """One record of a write request; ``target_id`` is set for updates by id (PATCH)."""

    pointer: str
    attributes: Any
    target_id: str | None = None


@dataclass(frozen=True)
class WriteRequest:
    object: str
    items: Sequence[WriteItem]
    match_on: str | None = None
    strategies: Mapping[str, str] = field(default_factory=dict)
    """Collection field -> append | remove | replace, from the request's top-level meta."""
    problems: tuple[Problem, ...] = ()
    """Found while reading the body; reported together with those found while planning."""


class _Planned(NamedTuple):
    """One item ready to store."""

    item: WriteItem
    target_id: str | None
    attributes: Record
    keys: UniqueKeys


class WriteResult(NamedTuple):
    record: Record
    created: bool


class WritePlanner:
    def __init__(self, store: RecordStore, rules: ObjectRules, *, meta_on_match_on: bool):
        self._store = store
        self._rules = rules
        self._meta_on_match_on = meta_on_match_on

    def apply(self, request: WriteRequest) -> list[WriteResult]:
        """Store every item of ``request``, or raise ApiError listing all problems."""
        planned, problems = self._plan(request)
        if problems:
            raise ApiError(problems)
        results = []
        for plan in planned:
            if plan.target_id is None:
                record = self._store.insert(request.object, plan.attributes, plan.keys)
            else:
                record = self._store.update(
                    request.object, plan.target_id, plan.attributes, plan.keys
                )
            results.append(WriteResult(record, created=plan.target_id is None))
        return results

    def _plan(self, request: WriteRequest) -> tuple[list[_Planned], list[Problem]]:
        problems = list(request.problems)
        planned: list[_Planned] = []
        claims = _BatchClaims()
        check, exists = self._rules.check, self._store.exists
        for item in request.items:
            item_problems = check(item.attributes, f"{item.pointer}/attributes", exists)
            if not item_problems:
                plan, item_problems = self._plan_item(request, item)
                if plan is not None:
                    item_problems.extend(claims.claim(plan))
                    planned.append(plan)
            problems.extend(item_problems)
        return planned, problems

    def _plan_item(
        self, request: WriteRequest, item: WriteItem
    ) -> tuple[_Planned | None, list[Problem]]:
        attributes: dict[str, Any] = item.attributes
        target_id = item.target_id
        strategies = request.strategies
        if request.match_on is not None:
            target_id, problem = self._match(request, item)
            if problem is not None:
                return None, [problem]
            if not self._meta_on_match_on:
                strategies = {}
        existing = self._store.get(request.object, target_id) if target_id else None
        merged = self._merge(existing, attributes, strategies)
        plan = _Planned(item, target_id, merged, unique_keys(self._rules, merged))
        problems = [
            Problem(422, f"{name} is required to create a {request.object}", _at(item, name))
            for name in self._rules.required
            if existing is None and merged.get(name) in (None, "")
        ]
        for name, keys in plan.keys.items():
            taken = self._store.owners(request.object, name, keys) - {target_id}
            if taken:
                owner = ", ".join(sorted(taken))
                problems.append(
                    Problem(400, f"{name} value already belongs to record {owner}", _at(item, name))
                )
        return plan, problems

    def _match(self, request: WriteRequest, item: WriteItem) -> tuple[str | None, Problem | None]:
        """The id of the one record ``item`` matches through match_on, or None to create."""
        name = request.match_on
        assert name is not None
        keys = self._rules.fields[name].match_keys(item.attributes.get(name))
        if not keys:
            return None, Problem(
                422, f"match_on is {name} but the record has no {name} value", _at(item, name)
            )
        owners = sorted(self._store.owners(request.object, name, keys))
        if len(owners) > 1:
            return None, Problem(
                409,
                f"match_on {name} matches {len(owners)} records ({', '.join(owners)}); "
                "it must match at most one",
                _at(item, name),
            )
        return (owners[0] if owners else None), None

    def _merge(
        self, existing: Record | None, changes: Mapping[str, Any], strategies: Mapping[str, str]
    ) -> Record:
        """The record's attributes after the write; omitted attributes are kept."""
        result = attributes_of(existing) if existing is not None else {}
        fields = self._rules.fields
        for name, value in changes.items():
            rule = fields[name]
            current = result.get(name)
            if rule.kind == "collection":
                before = current["items"] if isinstance(current, dict) else []
                strategy = strategies.get(name, "replace")
                result[name] = {"items": merge_items(rule, before, value["items"], strategy)}
            elif rule.kind == "object" and isinstance(value, dict) and isinstance(current, dict):
                result[name] = {**current, **value}
            else:
                result[name] = value
        return result


class _BatchClaims:
    """Which item of a batch first claimed each record and each unique value: two items of one
    batch may not update the same record or share a unique value."""

    def __init__(self) -> None:
        self._targets: dict[str, str] = {}
        self._values: dict[tuple[str, Any], str] = {}

    def claim(self, plan: _Planned) -> list[Problem]:
        pointer = plan.item.pointer
        if plan.target_id is not None:
            first = self._targets.setdefault(plan.target_id, pointer)
            if first != pointer:
                return [
                    Problem(400, f"updates the same record {plan.target_id} as {first}", pointer)
                ]
        problems = []
        for name, keys in plan.keys.items():
            owners = {self._values.setdefault((name, key), pointer) for key in keys} - {pointer}
            if owners:
                also = ", ".join(sorted(owners))
                detail = f"duplicate {name} value in this batch (also in {also})"
                problems.append(Problem(400, detail, _at(plan.item, name)))
        return problems


def merge_items(rule: FieldRule, before: list[Any], new: list[Any], strategy: str) -> list[Any]:
    """Apply a collection write strategy; emails and domains compare without case."""
    fmt = rule.item.format if rule.item is not None else None
    if strategy == "remove":
        dropped = {match_key(fmt, v) for v in new}
        return [v for v in before if match_key(fmt, v) not in dropped]
    combined = [*before, *new] if strategy == "append" else new
    seen: set[Any] = set()
    kept = []
    for value in combined:
        key = match_key(fmt, value)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


def unique_keys(rules: ObjectRules, record: Mapping[str, Any]) -> dict[str, frozenset[Any]]:
    """The normalised values a record holds in each of its object's unique fields."""
    keys = {}
    for rule in rules.unique_rules:
        values = rule.match_keys(record.get(rule.name))
        if values:
            keys[rule.name] = values
    return keys


def _at(item: WriteItem, name: str) -> str:
    return f"{item.pointer}/attributes/{name}"
