"""The Clarify HTTP client: retries, pacing, atomic bulk writes resolved per record."""

from dbt_clarify.clarify.client import ClarifyClient, ClientOptions
from dbt_clarify.clarify.errors import (
    ClarifyAuthError,
    ClarifyRequestError,
    ClarifyUnavailableError,
)
from dbt_clarify.clarify.outcomes import RecordError, RequestStats, WriteOutcome
from dbt_clarify.clarify.schema import FieldSchema, ObjectSchema

__all__ = [
    "ClarifyAuthError",
    "ClarifyClient",
    "ClarifyRequestError",
    "ClarifyUnavailableError",
    "ClientOptions",
    "FieldSchema",
    "ObjectSchema",
    "RecordError",
    "RequestStats",
    "WriteOutcome",
]
