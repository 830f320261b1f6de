"""Run the emulator: in a background thread for tests (``Emulator``) or blocking for the CLI.

Tests reach inside through ``records``, ``request_counts``, ``reset`` and ``config``; a sync in
another process uses the same operations over HTTP under ``/_emulator/``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import fields
from types import TracebackType
from typing import Any

from dbt_clarify.emulator.api import ClarifyApi
from dbt_clarify.emulator.config import EmulatorConfig
from dbt_clarify.emulator.gateway import Gateway
from dbt_clarify.emulator.inspection import Inspection
from dbt_clarify.emulator.schemas import JsonSchema
from dbt_clarify.emulator.server import EmulatorHTTPServer
from dbt_clarify.heap import young_collections_rarer


class Emulator:
    """A local Clarify workspace served over HTTP on a loopback address."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._config = config or EmulatorConfig()
        self._stopping = threading.Event()
        self._api = ClarifyApi(self._config)
        self._gateway = Gateway(self._api, self._config, self._stopping)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def config(self) -> EmulatorConfig:
        """The live settings; change fields at any time and the next request follows them."""
        return self._config

    @config.setter
    def config(self, new: EmulatorConfig) -> None:
        for f in fields(new):
            setattr(self._config, f.name, getattr(new, f.name))

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        """Serve in a background thread; port 0 picks a free port (see ``url``)."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        inspection = Inspection(self._api, self._gateway, self._config, self.reset)
        self._server = EmulatorHTTPServer((host, port), self._gateway, inspection)
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{_url_host(str(bound_host))}:{bound_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"clarify-emulator-{bound_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and hang up on every connection, stalled ones included."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def records(self, object: str) -> list[dict[str, Any]]:
        """Copies of the object's current records: attributes including system fields."""
        return self._api.records(object)

    def request_counts(self) -> Counter[tuple[str, int]]:
        """(endpoint, status) -> count of API requests; hung-up requests count as status 0."""
        return self._gateway.counts()

    def reset(self) -> None:
        """Forget records, custom fields, request counts and rate-limit windows."""
        self._api.reset()
        self._gateway.reset()

    def add_custom_object(self, name: str, properties: dict[str, JsonSchema], unique: str) -> None:
        """Define a ``c_*`` object from JSON Schema properties, ``unique`` being its upsert key."""
        self._api.add_custom_object(name, properties, unique)

    def edit_custom_field(self, object_name: str, field: str, definition: JsonSchema) -> None:
        """Change a custom field as a Clarify admin can in the app (add an option, say).

        The public API has no such call; tests use it to change Clarify's schema under a sync.
        """
        self._api.edit_custom_field(object_name, field, definition)


def serve(
    config: EmulatorConfig,
    host: str,
    port: int,
    on_ready: Callable[[Emulator], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C), then stop cleanly; ``on_ready`` sees the bound URL.

    The process is the emulator's own, so it collects young objects as rarely as a sync does: it
    holds every record in memory, and with Python's default a lifted sync's bulk requests set off
    more than one collection each, walking the requests in flight (benchmarks/README.md).
    """
    forever = threading.Event()
    with young_collections_rarer():
        emulator = Emulator(config).start(host, port)
        try:
            if on_ready is not None:
                on_ready(emulator)
            while not forever.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            emulator.stop()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
