"""A manifest.json written elsewhere (a dbt Cloud job, a CI step), loaded instead of parsing.

Its relation names are those of the target it was parsed with, which is the point: they name
the tables that the job built. The profile used to connect must reach the same warehouse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt_clarify.dbt.lazy_serializers import lazy_serializers
from dbt_clarify.dbt.runner import one_line
from dbt_clarify.errors import ConfigError


def read_manifest(path: Path) -> Any:
    """dbt's in-memory Manifest from a manifest.json; ConfigError when it cannot be used."""
    with lazy_serializers():
        from dbt.contracts.graph.manifest import Manifest, WritableManifest

    if not path.is_file():
        raise ConfigError(
            f"no dbt manifest at {path}",
            hint="pass the manifest.json written by the dbt invocation that built the models",
        )
    try:
        writable = WritableManifest.read_and_check_versions(str(path))
    except Exception as error:
        raise ConfigError(
            f"cannot use the dbt manifest {path}: {one_line(error)}",
            hint="pass a manifest.json written by a dbt version this dbt-core can read",
        ) from error
    return Manifest.from_writable_manifest(writable)
