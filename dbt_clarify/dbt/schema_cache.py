"""dbt's JSON schemas for its project and profile files, kept on disk between runs.

On every start dbt validates ``dbt_project.yml``, the profile and the selectors against JSON
schemas that mashumaro builds from dbt's dataclasses, compiling a serializer for each field's
default as it goes: about an eighth of a sync's start-up, and the same result every time for
the same installed packages. dbt-clarify keeps the schemas in its cache directory, in a file
named by the versions that shape them, and hands dbt the stored schema instead of building it
again. dbt still validates every file against it. A missing, unreadable or outdated file only
means that a schema is built as dbt would build it, and stored for the next run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dbt_clarify.dbt.user_cache import cache_dir, versions_digest

SHAPING_PACKAGES = ("dbt-core", "dbt-common", "dbt-adapters", "mashumaro")
"""The packages whose code turns dbt's dataclasses into schemas."""

Schema = dict[str, Any]


def cache_file(directory: Path) -> Path:
    """The file for this interpreter and these versions of the shaping packages."""
    return directory / f"dbt-json-schemas-{versions_digest(SHAPING_PACKAGES)}.json"


@functools.cache
def _module_stamp(module: str) -> list[Any]:
    """Where a class's module lives and its size and time, so an edited module is noticed."""
    path = getattr(sys.modules.get(module), "__file__", None)
    if path is None:
        return [module]
    found = os.stat(path)
    return [path, found.st_size, found.st_mtime_ns]


class SchemaStore:
    """The schemas of one cache file: read once, written back when a schema was built."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        self._entries: dict[str, Any] = stored if isinstance(stored, dict) else {}

    def schema(self, cls: type, build: Callable[[type], Schema]) -> Schema:
        """The stored schema of ``cls``, or the one ``build`` makes, stored for the next run."""
        key = f"{cls.__module__}.{cls.__qualname__}"
        stamp = _module_stamp(cls.__module__)
        entry = self._entries.get(key)
        if isinstance(entry, dict) and entry.get("stamp") == stamp:
            stored = entry.get("schema")
            if isinstance(stored, dict):
                return stored
        built = build(cls)
        self._entries[key] = {"stamp": stamp, "schema": built}
        self.changed = True
        return built

    def save(self) -> None:
        """Write the file whole, through a temporary file, so a reader never sees half of it."""
        if not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(dict(self._entries), out)  # a copy, in case a thread adds one
            os.replace(temporary, self.path)
            self.changed = False
        except (OSError, TypeError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(temporary)


_store: SchemaStore | None = None


def _install() -> SchemaStore | None:
    """Route dbt's ``json_schema`` through the store, once per process.

    Returns None, leaving dbt as it is, where dbt-common no longer builds schemas this way.
    """
    global _store
    if _store is not None:
        return _store
    from dbt_common.dataclass_schema import dbtClassMixin

    build = getattr(vars(dbtClassMixin).get("json_schema"), "__func__", None)
    if build is None:
        return None
    store = SchemaStore(cache_file(cache_dir()))

    def json_schema(cls: type) -> Schema:
        return store.schema(cls, build)

    dbtClassMixin.json_schema = classmethod(json_schema)  # type: ignore[assignment,method-assign]
    _store = store
    return store


@contextlib.contextmanager
def stored_json_schemas() -> Iterator[None]:
    """Around a dbt command: the hook in place (from the first command on, for the process's
    life), then the schemas dbt had to build written for the next run."""
    store = _install()
    try:
        yield
    finally:
        if store is not None:
            store.save()
