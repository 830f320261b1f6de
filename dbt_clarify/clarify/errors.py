"""The ways a Clarify call can fail for good, each a ``ClarifyError`` (exit code 4).

Record-level rejections inside bulk writes are not raised: they come back as outcomes. These are
the failures a caller cannot work around by changing one record.
"""

from __future__ import annotations

from dbt_clarify.clarify.outcomes import NO_RESPONSE, RecordError
from dbt_clarify.errors import ClarifyError

CREDENTIALS_HINT = "check CLARIFY_API_KEY and CLARIFY_WORKSPACE"


class ClarifyAuthError(ClarifyError):
    """Clarify refused the key (401/403) or does not know the workspace; never retried."""

    def __init__(self, message: str, *, hint: str | None = CREDENTIALS_HINT) -> None:
        super().__init__(message, hint=hint)


class ClarifyRequestError(ClarifyError):
    """Clarify answered a request with a permanent refusal (a 4xx that resending cannot fix)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: tuple[RecordError, ...] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.errors = errors


class ClarifyUnavailableError(ClarifyError):
    """A transient failure (429, 5xx, timeout, dropped connection) outlived every retry."""

    def __init__(self, message: str, *, status: int | None, reason: str, attempts: int) -> None:
        super().__init__(message, hint="Clarify or the network is struggling; run again later")
        self.status = status
        self.reason = reason
        self.attempts = attempts

    def record_error(self) -> RecordError:
        """How the records of a failed bulk request report it: transient, retried next run."""
        status = NO_RESPONSE if self.status is None else self.status
        return RecordError(
            status, "Clarify unavailable", f"{self.reason} after {self.attempts} attempts"
        )
