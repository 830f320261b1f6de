"""Where dbt-clarify keeps what it learns from the installed dbt between runs.

Each cache under this directory is named by a digest of the interpreter and of the versions of
the packages whose code shapes its content, so that an upgrade starts a fresh one.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

CACHE_DIR_VARIABLE = "DBT_CLARIFY_CACHE_DIR"


def cache_dir() -> Path:
    """``DBT_CLARIFY_CACHE_DIR``, else ``$XDG_CACHE_HOME/dbt-clarify``, else ``~/.cache/...``."""
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "dbt-clarify"


def versions_digest(distributions: Iterable[str]) -> str:
    """A short digest of this interpreter's version and those of ``distributions``."""
    versions = [sys.version, *(_version(name) for name in distributions)]
    return hashlib.sha256("\n".join(versions).encode()).hexdigest()[:16]


def _version(distribution: str) -> str:
    try:
        return f"{distribution} {metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return f"{distribution} absent"
