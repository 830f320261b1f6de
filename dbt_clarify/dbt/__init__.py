"""The one door to dbt: parsing, selection, the profile's connection, the package's macros.

dbt's Python API is not a contract and changes between minor versions, so every call into it
lives in this package. Importing it does not import dbt (that costs seconds); loading a
project does.
"""

from dbt_clarify.dbt.nodes import ColumnInfo, ModelNode
from dbt_clarify.dbt.project import DbtProject, ProjectOptions
from dbt_clarify.dbt.streams import PartedSort
from dbt_clarify.dbt.warehouse import RowStream, Warehouse
from dbt_clarify.dbt.warehouse_thread import WarehouseThread

__all__ = [
    "ColumnInfo",
    "DbtProject",
    "ModelNode",
    "PartedSort",
    "ProjectOptions",
    "RowStream",
    "Warehouse",
    "WarehouseThread",
]
