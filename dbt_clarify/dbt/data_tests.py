"""What a project's data tests promise about a model's columns.

Only ``accepted_values`` is read: the values a column may hold tell which options a Clarify
select field needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ACCEPTED_VALUES = "accepted_values"


def accepted_values_by_model(nodes: Iterable[Any]) -> dict[str, dict[str, tuple[str, ...]]]:
    """model unique_id -> column -> the values its accepted_values tests allow.

    Several such tests on one column (say, with different ``where`` configs) add up: each value
    any of them allows may reach the column.
    """
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for node in nodes:
        metadata = getattr(node, "test_metadata", None)
        if getattr(metadata, "name", None) != ACCEPTED_VALUES:
            continue
        model_id = getattr(node, "attached_node", None)
        kwargs = getattr(metadata, "kwargs", None) or {}
        column = getattr(node, "column_name", None) or kwargs.get("column_name")
        values = kwargs.get("values")
        if not model_id or not column or not isinstance(values, (list, tuple)):
            continue
        columns = found.setdefault(model_id, {})
        written = (str(value) for value in values if value is not None)
        columns[column] = tuple(dict.fromkeys([*columns.get(column, ()), *written]))
    return found
