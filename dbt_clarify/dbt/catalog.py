"""Columns as dbt's catalog (``target/catalog.json``, written by ``dbt docs generate``) has them.

The catalog is read as plain JSON and leniently, like the manifest: its schema gains fields
between releases. An entry counts only when it describes the relation the manifest names, since
a catalog generated for another target describes other tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dbt_clarify.dbt.nodes import ColumnInfo

CATALOG_FILE = "catalog.json"


def read_catalog(target_path: Path) -> Mapping[str, Any]:
    """The catalog's entries by unique_id; empty when there is no readable catalog."""
    try:
        document = json.loads((target_path / CATALOG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    nodes = document.get("nodes") if isinstance(document, Mapping) else None
    return nodes if isinstance(nodes, Mapping) else {}


def catalog_columns(
    entries: Mapping[str, Any], unique_id: str, relation: tuple[str | None, str, str]
) -> list[ColumnInfo] | None:
    """The columns of ``unique_id`` in catalog order, if its entry is ``relation``.

    ``relation`` is (database, schema, identifier) as the manifest has them; names compare
    ignoring case, as warehouses fold unquoted names.
    """
    entry = entries.get(unique_id)
    if not isinstance(entry, Mapping):
        return None
    metadata = entry.get("metadata") or {}
    found = (metadata.get("database"), metadata.get("schema"), metadata.get("name"))
    if any(
        want is not None and str(have or "").lower() != want.lower()
        for want, have in zip(relation, found, strict=True)
    ):
        return None
    columns = entry.get("columns") or {}
    if not isinstance(columns, Mapping) or not columns:
        return None
    ordered = sorted(
        (c for c in columns.values() if isinstance(c, Mapping) and c.get("name")),
        key=lambda c: c.get("index") or 0,
    )
    return [ColumnInfo(name=str(c["name"]), data_type=c.get("type")) for c in ordered]
