"""The emulator's own routes under ``/_emulator/``: look inside and steer it over HTTP.

For a sync running in another process (the demo, CLI tests): read records and request counts,
reset, or change faults, latency and limits at runtime. No auth, never faulted or rate limited.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from dbt_clarify.emulator.api import ApiResponse, ClarifyApi
from dbt_clarify.emulator.config import EmulatorConfig
from dbt_clarify.emulator.gateway import Gateway
from dbt_clarify.emulator.problems import ApiError, error_body

PREFIX = "/_emulator/"
RECORDS_PATH = re.compile(r"^/_emulator/records/(?P<object>[^/]+)$")


class Inspection:
    def __init__(
        self,
        api: ClarifyApi,
        gateway: Gateway,
        config: EmulatorConfig,
        reset: Callable[[], None],
    ) -> None:
        self._api = api
        self._gateway = gateway
        self._config = config
        self._reset = reset

    def handle(self, method: str, target: str, body: bytes) -> ApiResponse:
        path = target.partition("?")[0]
        try:
            return self._route(method, path, body)
        except ApiError as error:
            return ApiResponse(error.status, error_body(error.problems, status_as_string=True))

    def _route(self, method: str, path: str, body: bytes) -> ApiResponse:
        records = RECORDS_PATH.match(path)
        if method == "GET" and records:
            return self._records(records["object"])
        if method == "GET" and path == "/_emulator/stats":
            return ApiResponse(200, self._stats())
        if method == "POST" and path == "/_emulator/reset":
            self._reset()
            return ApiResponse(204)
        if method == "GET" and path == "/_emulator/config":
            return ApiResponse(200, self._config.public_view())
        if method == "POST" and path == "/_emulator/config":
            return self._update_config(body)
        raise ApiError.one(404, f"no emulator route {method} {path}")

    def _records(self, object_name: str) -> ApiResponse:
        try:
            return ApiResponse(200, {"data": self._api.records(object_name)})
        except KeyError:
            raise ApiError.one(404, f"unknown object {object_name!r}") from None

    def _stats(self) -> dict[str, Any]:
        requests: dict[str, dict[str, int]] = {}
        counts = self._gateway.counts()
        for (endpoint, status), count in sorted(counts.items()):
            requests.setdefault(endpoint, {})[str(status)] = count
        return {
            "requests": requests,
            "total": sum(counts.values()),
            # For benchmarks whose client shares the machine: the CPU time of the whole serving
            # process (a test's own, when the emulator runs in one of its threads).
            "process_cpu_s": time.process_time(),
        }

    def _update_config(self, body: bytes) -> ApiResponse:
        try:
            changes = json.loads(body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("send a JSON object of settings to change")
            self._config.update(changes)
        except ValueError as exc:
            raise ApiError.one(400, str(exc)) from None
        return ApiResponse(200, self._config.public_view())
