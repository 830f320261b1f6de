"""Typed views of the few manifest fields dbt-clarify reads about a model.

The views are built from dbt's in-memory manifest nodes with lenient attribute reads: dbt's
artifacts gain fields in patch releases, and nothing here should break when they do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CLARIFY_META_KEY = "clarify"


@dataclass(frozen=True)
class ColumnInfo:
    """A column name and its type, as declared in schema.yml or reported by the warehouse."""

    name: str
    data_type: str | None


@dataclass(frozen=True)
class ModelNode:
    """One dbt model, with what a sync needs to find its block, its columns and its table."""

    unique_id: str
    name: str
    package_name: str
    relation_name: str | None
    """The quoted relation in the warehouse; None for an ephemeral model."""
    materialized: str
    tags: tuple[str, ...]
    clarify_block: Any | None = field(hash=False)
    """``config.meta.clarify`` if present, else a top-level ``meta.clarify``, else None."""
    block_key: str
    """Where the block was looked up: "config.meta.clarify" or "meta.clarify"."""
    schema_file: str | None
    """The yml file that declares the model, relative to its project (None if undeclared)."""
    sql_file: str
    declared_columns: Mapping[str, ColumnInfo] = field(hash=False)
    depends_on: tuple[str, ...]
    """unique_ids of the nodes this model selects from."""


def model_node(node: Any, files: Mapping[str, Any]) -> ModelNode:
    """The view of one manifest model node; ``files`` are the manifest's parsed source files."""
    config = getattr(node, "config", None)
    config_meta = getattr(config, "meta", None) or {}
    top_meta = getattr(node, "meta", None) or {}
    block = config_meta.get(CLARIFY_META_KEY, top_meta.get(CLARIFY_META_KEY))
    # dbt copies a top-level meta into config.meta, so only the yml entry tells them apart.
    yml_meta = _yml_entry(node, files).get("meta") or {}
    block_key = "meta.clarify" if CLARIFY_META_KEY in yml_meta else "config.meta.clarify"
    patch_path = getattr(node, "patch_path", None)
    depends_on = getattr(getattr(node, "depends_on", None), "nodes", None) or ()
    columns = getattr(node, "columns", None) or {}
    return ModelNode(
        unique_id=node.unique_id,
        name=node.name,
        package_name=node.package_name,
        relation_name=getattr(node, "relation_name", None),
        materialized=str(getattr(config, "materialized", "") or ""),
        tags=tuple(getattr(node, "tags", None) or ()),
        clarify_block=block,
        block_key=block_key,
        # patch_path reads "<package>://models/schema.yml"
        schema_file=patch_path.split("://", 1)[-1] if patch_path else None,
        sql_file=node.original_file_path,
        declared_columns={
            name: ColumnInfo(name=name, data_type=getattr(column, "data_type", None))
            for name, column in columns.items()
        },
        depends_on=tuple(depends_on),
    )


def _yml_entry(node: Any, files: Mapping[str, Any]) -> Mapping[str, Any]:
    """The model's entry in the yml file that declares it, as written; empty if none."""
    patch_path = getattr(node, "patch_path", None)
    parsed = getattr(files.get(patch_path), "dfy", None) if patch_path else None
    for entry in (parsed or {}).get("models") or ():
        if isinstance(entry, Mapping) and entry.get("name") == node.name:
            return entry
    return {}


def dependency_order(selected: Iterable[str], parents: Callable[[str], Sequence[str]]) -> list[str]:
    """``selected`` ordered upstream first, following dependencies through unselected nodes too.

    Ties keep the order of unique_ids, so the result is the same on every run.
    """
    wanted = set(selected)
    ordered: list[str] = []
    visited: set[str] = set()
    for start in sorted(wanted):
        stack: list[tuple[str, bool]] = [(start, False)]
        while stack:
            node_id, expanded = stack.pop()
            if expanded:
                if node_id in wanted:
                    ordered.append(node_id)
                continue
            if node_id in visited:
                continue
            visited.add(node_id)
            stack.append((node_id, True))
            stack.extend((parent, False) for parent in sorted(parents(node_id), reverse=True))
    return ordered
