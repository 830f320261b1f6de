"""Keep an embedded DuckDB lean while a sync reads from it, and quick while it writes state.

A sync waits on Clarify's rate limit far more than on its warehouse, yet DuckDB, left to its
defaults, runs in the sync's own process with a buffer pool of 80% of the machine's memory and a
thread per core: sorting a million changed rows took half a gigabyte. So, unless the profile's
``settings`` (or ``config_options``) choose for themselves, the sync's connection runs with a
small memory limit and one thread, and DuckDB spills what does not fit to its temporary
directory. A read too wide to sort within the limit is started again without it, so a model
never fails to sync for the sake of memory.

A sync also commits a checkpoint of its per-row ledger every few thousand rows, and DuckDB folds
its write-ahead log into the database file whenever the log passes ``checkpoint_threshold``
(16 MB by default). The folds cost more as the ledger grows, about half a second of CPU apiece
towards a million rows, so the sync's connection lets the log grow to 56 MB first: writing a
million ledger rows then costs a fifth less CPU (benchmarks/ledger_write.py). Commits are as
durable (the log is written at each one); DuckDB folds it less often, and holds more of it in
memory: the log is what a 1M sync's memory peaks on, so 56 MB leaves room within 300 MB for the
rows in flight.
"""

from __future__ import annotations

import logging
from typing import Any

SYNC_MEMORY_LIMIT = "64MB"
SYNC_THREADS = 1
SYNC_CHECKPOINT_THRESHOLD = "56MB"
CAPPED_SETTINGS = {"memory_limit": f"'{SYNC_MEMORY_LIMIT}'", "threads": str(SYNC_THREADS)}
"""DuckDB setting -> value, as SQL, while a sync holds the connection, until a read needs more."""
WRITE_SETTINGS = {"checkpoint_threshold": f"'{SYNC_CHECKPOINT_THRESHOLD}'"}
"""DuckDB setting -> value, as SQL, for as long as a sync holds the connection."""

logger = logging.getLogger(__name__)


def cap_duckdb(adapter: Any) -> tuple[str, ...]:
    """Apply the ``CAPPED_SETTINGS`` and ``WRITE_SETTINGS`` the profile leaves to DuckDB; the
    names of the capped ones applied (those a read may lift).

    In-memory databases keep their tables in that same memory, and MotherDuck runs queries
    remotely, so both keep DuckDB's own defaults.
    """
    if adapter.type() != "duckdb":
        return ()
    credentials = adapter.config.credentials
    path = str(getattr(credentials, "path", ":memory:"))
    if path == ":memory:" or path.startswith(("md:", "motherduck:")):
        return ()
    chosen = {
        *(getattr(credentials, "settings", None) or {}),
        *(getattr(credentials, "config_options", None) or {}),
    }
    settings = {**CAPPED_SETTINGS, **WRITE_SETTINGS}
    _run(adapter, [f"set {name} = {settings[name]}" for name in settings if name not in chosen])
    return tuple(name for name in CAPPED_SETTINGS if name not in chosen)


def uncap_duckdb(adapter: Any, applied: tuple[str, ...]) -> None:
    """Give DuckDB back its defaults for the ``applied`` settings, the profile's own stay."""
    logger.debug("a query needs over %s of DuckDB memory: running it uncapped", SYNC_MEMORY_LIMIT)
    _run(adapter, [f"reset {name}" for name in applied])


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) is DuckDB running out of its memory limit."""
    import duckdb

    while error is not None:
        if isinstance(error, duckdb.OutOfMemoryException):
            return True
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    return False


def _run(adapter: Any, statements: list[str]) -> None:
    # The settings are the database's, so any cursor of dbt's connection sets them.
    cursor = adapter.connections.get_thread_connection().handle.cursor()
    for statement in statements:
        cursor.execute(statement)
