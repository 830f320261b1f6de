"""One exception family for everything a user can get wrong or run into.

Each error carries the exit code the CLI returns and a hint saying what to do. The CLI prints
``message`` and ``hint`` on one line each and shows a traceback only under ``--debug``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    SUCCESS = 0
    """Every selected row was synced or unchanged."""
    ROWS_FAILED = 1
    """The run finished, but some rows were rejected or failed."""
    CONFIG = 2
    """Usage or configuration error; nothing was sent."""
    WAREHOUSE = 3
    """The warehouse could not be reached or queried."""
    CLARIFY = 4
    """Clarify could not be reached, or refused the credentials."""
    INTERNAL = 70
    """A bug in dbt-clarify; please report it with the ``--debug`` output."""


class DbtClarifyError(Exception):
    """Base of every error dbt-clarify raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"


class ConfigError(DbtClarifyError):
    """A wrong setting, option, selection or sync-model block; found before anything is sent."""

    exit_code = ExitCode.CONFIG


class WarehouseError(DbtClarifyError):
    """dbt or the warehouse failed: cannot parse, connect or query."""

    exit_code = ExitCode.WAREHOUSE


class ClarifyError(DbtClarifyError):
    """Clarify could not be reached or answered in a way the sync cannot continue from."""

    exit_code = ExitCode.CLARIFY
