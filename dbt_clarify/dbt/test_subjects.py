"""Which models each data test checks, from the manifest's test nodes.

``run_results.json`` names a failed test but not its model; the manifest knows both. A generic
test belongs to the model it is attached to (a ``relationships`` test from people to companies
is about people); a singular test, attached to nothing, is about every model it selects from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def tested_models(nodes: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """test unique_id -> the unique_ids of the models it checks."""
    found: dict[str, tuple[str, ...]] = {}
    for node in nodes:
        if getattr(node, "resource_type", None) != "test":
            continue
        attached = getattr(node, "attached_node", None)
        if attached:
            found[node.unique_id] = (attached,)
            continue
        parents = getattr(getattr(node, "depends_on", None), "nodes", None) or ()
        models = tuple(parent for parent in parents if parent.startswith("model."))
        if models:
            found[node.unique_id] = models
    return found
