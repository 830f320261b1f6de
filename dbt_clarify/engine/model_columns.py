"""A model's columns and their types, from the best source at hand, for checks before a sync.

The warehouse relation comes first: it is what a sync reads. A model not built yet is described
by ``target/catalog.json`` when ``dbt docs generate`` listed it, else by the columns its
schema.yml declares (which may be partial, and may lack types).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from dbt_clarify.dbt import ColumnInfo, DbtProject, ModelNode, Warehouse
from dbt_clarify.errors import ConfigError
from dbt_clarify.spec import SyncSpec

FROM_WAREHOUSE = "the warehouse"
FROM_CATALOG = "target/catalog.json"
FROM_SCHEMA_YML = "its schema.yml"


@dataclass(frozen=True)
class ModelColumns:
    """The columns found for a model, where they came from, and their accepted values."""

    columns: tuple[ColumnInfo, ...]
    source: str
    accepted_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Column -> the values its ``accepted_values`` tests allow."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def find(self, name: str) -> ColumnInfo | None:
        """The column of that name: exactly, else ignoring case (warehouses fold names)."""
        exact = next((c for c in self.columns if c.name == name), None)
        return exact or next((c for c in self.columns if c.name.lower() == name.lower()), None)

    def allowed_values(self, column: str) -> tuple[str, ...] | None:
        """The values an ``accepted_values`` test allows in the column, if it has one."""
        folded = {name.lower(): values for name, values in self.accepted_values.items()}
        return self.accepted_values.get(column, folded.get(column.lower()))


class ColumnLookup:
    """Finds models' columns; connects to the warehouse on first need, until closed.

    Use it after every ``DbtProject.select``: a dbt command would drop the connection.
    """

    def __init__(self, project: DbtProject) -> None:
        self._project = project
        self._stack = contextlib.ExitStack()
        self._warehouse: Warehouse | None = None

    def __enter__(self) -> ColumnLookup:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()

    def columns(self, node: ModelNode) -> ModelColumns | None:
        """The model's columns, or None when no source knows any."""
        accepted = self._project.accepted_values(node)
        if node.relation_name is not None:
            with contextlib.suppress(ConfigError):  # not built: look further
                found = self._connected().columns(node)
                return ModelColumns(tuple(found), FROM_WAREHOUSE, accepted)
        catalog = self._project.catalog_columns(node)
        if catalog:
            return ModelColumns(tuple(catalog), FROM_CATALOG, accepted)
        if node.declared_columns:
            return ModelColumns(tuple(node.declared_columns.values()), FROM_SCHEMA_YML, accepted)
        return None

    def _connected(self) -> Warehouse:
        if self._warehouse is None:
            self._warehouse = self._stack.enter_context(self._project.connect())
        return self._warehouse


def no_columns_error(node: ModelNode, spec: SyncSpec, key: str | None = None) -> ConfigError:
    """The message for a model that no source describes."""
    return spec.location.error(
        key,
        "no columns to check against: the model is not built and its schema.yml declares none",
        hint=f"build it first (`dbt build --select {node.name}`) or declare its columns",
    )
