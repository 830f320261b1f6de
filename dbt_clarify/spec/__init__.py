"""The sync-model block (``config.meta.clarify``): parsed, checked, and explained when wrong."""

from dbt_clarify.spec.checks import check_columns, check_schema, column_positions, field_targets
from dbt_clarify.spec.fields import COMPANY_LINK_FIELD, FieldTarget, locate_field
from dbt_clarify.spec.model import FieldMapping, SyncSpec
from dbt_clarify.spec.parse import parse_spec

__all__ = [
    "COMPANY_LINK_FIELD",
    "FieldMapping",
    "FieldTarget",
    "SyncSpec",
    "check_columns",
    "check_schema",
    "column_positions",
    "field_targets",
    "locate_field",
    "parse_spec",
]
