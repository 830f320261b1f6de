"""The API's routes under ``/v1/workspaces/{workspace}``, and how a path finds its route.

A route's ``endpoint`` (method and template, e.g. ``POST /objects/{object}/records/bulk``) is the
unit of rate limiting and of the request counts the emulator reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbt_clarify.emulator.problems import ApiError

WORKSPACE_PREFIX = re.compile(r"^/v1/workspaces/(?P<workspace>[^/]+)(?P<rest>/.*)$")


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    action: str
    """Name of the ClarifyApi method that answers it."""
    takes_body: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def is_mutation(self) -> bool:
        return self.method != "GET"


ROUTES = (
    Route("GET", "/schemas", "get_schemas"),
    Route("POST", "/schemas/{object}/properties", "add_properties", takes_body=True),
    Route("POST", "/objects/{object}/records/bulk", "create_bulk", takes_body=True),
    Route("POST", "/objects/{object}/records", "create_record", takes_body=True),
    Route("PATCH", "/objects/{object}/records", "update_bulk", takes_body=True),
    Route("DELETE", "/objects/{object}/records", "delete_bulk", takes_body=True),
    Route("GET", "/objects/{object}/records/{id}", "get_record"),
    Route("PATCH", "/objects/{object}/records/{id}", "update_record", takes_body=True),
    Route("DELETE", "/objects/{object}/records/{id}", "delete_record"),
    Route("GET", "/objects/{object}/resources", "list_resources"),
)


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    workspace: str
    params: dict[str, str]


def match_route(method: str, path: str) -> RouteMatch:
    """The route for a request, or ApiError 404 (no such path) / 405 (wrong method)."""
    prefixed = WORKSPACE_PREFIX.match(path)
    if prefixed:
        rest = prefixed["rest"]
        allowed = []
        for route in ROUTES:
            found = route.pattern.match(rest)
            if found and route.method == method:
                return RouteMatch(route, prefixed["workspace"], found.groupdict())
            if found:
                allowed.append(route.method)
        if allowed:
            raise ApiError.one(405, f"{method} is not allowed here; use {', '.join(allowed)}")
    raise ApiError.one(404, f"no API route {path}")
