"""Records in memory, with an index of unique keys so that matching stays O(1) per key.

Stored records are never mutated in place: an update stores a new dict. Handlers can therefore
serialise a record after releasing the lock without copying it. Not thread-safe on its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

Record = dict[str, Any]
"""A record's attributes, system fields (_id, _created_at, _updated_at) first."""
SYSTEM_FIELDS = ("_id", "_created_at", "_updated_at")
UniqueKeys = Mapping[str, frozenset[Any]]
"""Unique field -> the normalised values a record holds in it."""


class RecordStore:
    def __init__(self) -> None:
        self._records: dict[str, dict[str, Record]] = {}
        self._index: dict[tuple[str, str], dict[Any, str]] = {}
        self._keys_of: dict[str, UniqueKeys] = {}
        self._last_micros = 0
        self._stamp_second = -1
        self._stamp_prefix = ""

    def reset(self) -> None:
        self._records.clear()
        self._index.clear()
        self._keys_of.clear()

    def get(self, object_name: str, record_id: str) -> Record | None:
        return self._records.get(object_name, {}).get(record_id)

    def exists(self, object_name: str, record_id: str) -> bool:
        return record_id in self._records.get(object_name, {})

    def all(self, object_name: str) -> list[Record]:
        """Records in creation order."""
        return list(self._records.get(object_name, {}).values())

    def owners(self, object_name: str, field: str, keys: Iterable[Any]) -> set[str]:
        """Ids of the records holding any of ``keys`` in the unique ``field``."""
        index = self._index.get((object_name, field), {})
        return {index[key] for key in keys if key in index}

    def insert(self, object_name: str, attributes: Record, keys: UniqueKeys) -> Record:
        record_id = new_record_id()
        stamp = self._stamp()
        record = {"_id": record_id, "_created_at": stamp, "_updated_at": stamp, **attributes}
        self._records.setdefault(object_name, {})[record_id] = record
        self._index_keys(object_name, record_id, keys)
        return record

    def update(
        self, object_name: str, record_id: str, attributes: Record, keys: UniqueKeys
    ) -> Record:
        """Store the full new attributes of an existing record."""
        old = self._records[object_name][record_id]
        record = {
            "_id": record_id,
            "_created_at": old["_created_at"],
            "_updated_at": self._stamp(),
            **attributes,
        }
        self._records[object_name][record_id] = record
        if keys != self._keys_of[record_id]:
            self._unindex_keys(object_name, record_id)
            self._index_keys(object_name, record_id, keys)
        return record

    def delete(self, object_name: str, record_ids: Iterable[str]) -> None:
        for record_id in record_ids:
            del self._records[object_name][record_id]
            self._unindex_keys(object_name, record_id)

    def _index_keys(self, object_name: str, record_id: str, keys: UniqueKeys) -> None:
        self._keys_of[record_id] = keys
        for field, values in keys.items():
            index = self._index.setdefault((object_name, field), {})
            for value in values:
                index[value] = record_id

    def _unindex_keys(self, object_name: str, record_id: str) -> None:
        for field, values in self._keys_of.pop(record_id, {}).items():
            index = self._index[(object_name, field)]
            for value in values:
                index.pop(value, None)

    def _stamp(self) -> str:
        """A UTC timestamp later than every one handed out before, so updates always move.

        Formatted by hand, the date part cached per second: this runs for every record written.
        """
        micros = max(time.time_ns() // 1000, self._last_micros + 1)
        self._last_micros = micros
        seconds, fraction = divmod(micros, 1_000_000)
        if seconds != self._stamp_second:
            self._stamp_second = seconds
            self._stamp_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        return f"{self._stamp_prefix}.{fraction:06d}Z"


def attributes_of(record: Record) -> Record:
    """A copy of a stored record without its system fields: what a write starts from."""
    attributes = record.copy()
    for name in SYSTEM_FIELDS:
        del attributes[name]
    return attributes


def new_record_id() -> str:
    """A random (version 4) UUID string, built directly: ``uuid.uuid4()`` costs ten times more."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
