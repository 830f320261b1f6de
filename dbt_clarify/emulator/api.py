"""Clarify's API semantics, independent of sockets: a routed request in, a response out.

The HTTP layer deals with auth, rate limits, faults and latency; everything here runs under one
lock, so each request sees and leaves the workspace in a consistent state.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from dbt_clarify.emulator.bodies import read_create, read_id_list, read_update
from dbt_clarify.emulator.catalog import SchemaCatalog
from dbt_clarify.emulator.config import EmulatorConfig
from dbt_clarify.emulator.filters import ListQuery, parse_list_query
from dbt_clarify.emulator.problems import ApiError, Problem
from dbt_clarify.emulator.routes import RouteMatch
from dbt_clarify.emulator.schemas import JsonSchema
from dbt_clarify.emulator.store import Record, RecordStore
from dbt_clarify.emulator.writes import WritePlanner, WriteRequest, WriteResult


@dataclass(frozen=True)
class ApiRequest:
    path: str
    query: Sequence[tuple[str, str]]
    body: Any
    host: str
    """The Host header, for the absolute URLs in links and schema ids."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ClarifyApi:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._catalog = SchemaCatalog(config)
        self._store = RecordStore()

    def handle(self, match: RouteMatch, request: ApiRequest) -> ApiResponse:
        """Answer a request already routed to this workspace; errors raise ApiError."""
        _check_query(match, request.query)
        with self._lock:
            answer = getattr(self, f"_{match.route.action}")
            response: ApiResponse = answer(match.params, request)
            return response

    def records(self, object_name: str) -> list[Record]:
        """Copies of an object's records; KeyError for an unknown object."""
        with self._lock:
            if not self._catalog.has(object_name):
                raise KeyError(object_name)
            return copy.deepcopy(self._store.all(object_name))

    def reset(self) -> None:
        with self._lock:
            self._store.reset()
            self._catalog.reset()

    def add_custom_object(self, name: str, properties: dict[str, JsonSchema], unique: str) -> None:
        with self._lock:
            self._catalog.define_object(name, properties, unique)

    def edit_custom_field(self, object_name: str, field: str, definition: JsonSchema) -> None:
        with self._lock:
            self._catalog.edit_field(object_name, field, definition)

    def _get_schemas(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        prefix = f"http://{request.host}/v1/workspaces/{self.config.workspace}/schemas/entities"
        data = [self._catalog.resource(name, prefix) for name in self._catalog.objects()]
        return ApiResponse(200, {"data": data})

    def _add_properties(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        self._catalog.add_fields(params["object"], request.body)
        return ApiResponse(202)

    def _create_record(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        rules = self._catalog.rules(self._require_object(params["object"]))
        [result] = self._write(read_create(request.body, rules, bulk=False, batch_cap=None))
        return ApiResponse(
            201 if result.created else 200, {"data": _resource(rules.object, result.record)}
        )

    def _create_bulk(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        rules = self._catalog.rules(self._require_object(params["object"]))
        cap = self.config.bulk_batch_cap
        results = self._write(read_create(request.body, rules, bulk=True, batch_cap=cap))
        return ApiResponse(200, {"data": [_resource(rules.object, r.record) for r in results]})

    def _update_bulk(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        rules = self._catalog.rules(self._require_object(params["object"]))
        cap = self.config.bulk_batch_cap
        results = self._write(read_update(request.body, rules, path_id=None, batch_cap=cap))
        return ApiResponse(200, {"data": [_resource(rules.object, r.record) for r in results]})

    def _update_record(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        object_name = self._require_object(params["object"])
        self._require_record(object_name, params["id"])
        rules = self._catalog.rules(object_name)
        [result] = self._write(
            read_update(request.body, rules, path_id=params["id"], batch_cap=None)
        )
        return ApiResponse(200, {"data": _resource(object_name, result.record)})

    def _get_record(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        object_name = self._require_object(params["object"])
        return ApiResponse(
            200, {"data": _resource(object_name, self._require_record(object_name, params["id"]))}
        )

    def _delete_record(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        object_name = self._require_object(params["object"])
        self._require_record(object_name, params["id"])
        self._store.delete(object_name, [params["id"]])
        return ApiResponse(204)

    def _delete_bulk(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        object_name = self._require_object(params["object"])
        ids = list(dict.fromkeys(read_id_list(request.body, batch_cap=self.config.bulk_batch_cap)))
        self._require_all(
            object_name, [(f"/items/{i}", record_id) for i, record_id in enumerate(ids)]
        )
        self._store.delete(object_name, ids)
        return ApiResponse(204)

    def _list_resources(self, params: dict[str, str], request: ApiRequest) -> ApiResponse:
        schema = self._catalog.schema(self._require_object(params["object"]))
        query = parse_list_query(schema, request.query)
        page, total = query.select(self._store.all(schema.object))
        return ApiResponse(
            200,
            {
                "data": [_resource(schema.object, record) for record in page],
                "meta": {"total_records": total, "offset": query.offset, "limit": query.limit},
                "links": self._page_links(request, query, total),
            },
        )

    def _write(self, request: WriteRequest) -> list[WriteResult]:
        targets = [
            (item.pointer + "/id", item.target_id) for item in request.items if item.target_id
        ]
        self._require_all(request.object, targets)
        planner = WritePlanner(
            self._store,
            self._catalog.rules(request.object),
            meta_on_match_on=self.config.collection_meta_on_match_on,
        )
        return planner.apply(request)

    def _require_object(self, object_name: str) -> str:
        if not self._catalog.has(object_name):
            raise ApiError.one(404, f"unknown object {object_name!r}")
        return object_name

    def _require_record(self, object_name: str, record_id: str) -> Record:
        record = self._store.get(object_name, record_id)
        if record is None:
            raise ApiError.one(404, f"no {object_name} with id {record_id!r}")
        return record

    def _require_all(self, object_name: str, ids: Sequence[tuple[str, str]]) -> None:
        """404 for the whole call when any id is unknown, naming each unknown one."""
        missing = [
            Problem(404, f"no {object_name} with id {record_id!r}", pointer)
            for pointer, record_id in ids
            if not self._store.exists(object_name, record_id)
        ]
        if missing:
            raise ApiError(missing)

    def _page_links(self, request: ApiRequest, query: ListQuery, total: int) -> dict[str, Any]:
        """Absolute links to the neighbouring pages, with http:// as the live API was seen to
        send them (links_next_http) or https://; clients should count offsets instead."""
        scheme = "http" if self.config.links_next_http else "https"

        def link(offset: int) -> str:
            kept = [(k, v) for k, v in request.query if not k.startswith("page[")]
            paging = [("page[limit]", str(query.limit)), ("page[offset]", str(offset))]
            return f"{scheme}://{request.host}{request.path}?{urlencode(kept + paging)}"

        next_offset = query.offset + query.limit
        return {
            "next": link(next_offset) if next_offset < total else None,
            "prev": link(max(query.offset - query.limit, 0)) if query.offset > 0 else None,
        }


def _resource(object_name: str, record: Record) -> dict[str, Any]:
    return {"type": object_name, "id": record["_id"], "attributes": record}


def _check_query(match: RouteMatch, query: Sequence[tuple[str, str]]) -> None:
    """Mutations take ``silent``; listing parses its own parameters; nothing else is allowed."""
    if match.route.action == "list_resources":
        return
    problems = []
    for name, value in query:
        if name == "silent" and match.route.is_mutation:
            if value not in ("true", "false"):
                problems.append(Problem(400, "silent must be true or false", parameter=name))
        else:
            problems.append(Problem(400, f"unknown query parameter {name!r}", parameter=name))
    if problems:
        raise ApiError(problems)
