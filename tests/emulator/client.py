"""A thin client for the emulated workspace, so that tests read as API calls."""

from __future__ import annotations

from typing import Any

import httpx

API_KEY = "emulator-key"
WORKSPACE = "acme"


class Workspace:
    """The emulated workspace over HTTP, with shorthands for the calls tests repeat."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    @staticmethod
    def items(*values: Any) -> dict[str, list[Any]]:
        return {"items": list(values)}

    @staticmethod
    def errors(response: httpx.Response) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = response.json()["errors"]
        return errors

    @classmethod
    def details(cls, response: httpx.Response) -> str:
        """All error details of a response, joined, for substring assertions."""
        return " | ".join(e["detail"] for e in cls.errors(response))

    @classmethod
    def pointers(cls, response: httpx.Response) -> list[str]:
        return [e["source"]["pointer"] for e in cls.errors(response) if "source" in e]

    def create(self, object_name: str, attributes: Any, **body: Any) -> httpx.Response:
        resource = {"type": object_name, "attributes": attributes}
        return self.http.post(f"/objects/{object_name}/records", json={"data": resource, **body})

    def bulk(self, object_name: str, attributes: list[Any], **body: Any) -> httpx.Response:
        data = [{"type": object_name, "attributes": a} for a in attributes]
        return self.http.post(f"/objects/{object_name}/records/bulk", json={"data": data, **body})

    def patch(self, object_name: str, updates: dict[str, Any], **body: Any) -> httpx.Response:
        """Bulk update: ``updates`` maps record id -> attributes."""
        data = [{"type": object_name, "id": i, "attributes": a} for i, a in updates.items()]
        return self.http.patch(f"/objects/{object_name}/records", json={"data": data, **body})

    def list(self, object_name: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/objects/{object_name}/resources", params=params)

    def created_id(self, object_name: str, attributes: Any) -> str:
        response = self.create(object_name, attributes)
        assert response.status_code == 201, response.text
        record_id: str = response.json()["data"]["id"]
        return record_id
