"""What one sync run is asked to do: the options a user passes on the command line or from code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dbt_clarify.settings import ClarifySettings


@dataclass(frozen=True)
class SyncOptions:
    """Everything ``run_sync`` needs; the CLI and ``dbt_clarify.sync()`` both build one."""

    settings: ClarifySettings
    project_dir: Path = Path(".")
    profiles_dir: Path | None = None
    target: str | None = None
    vars: str | None = None
    select: Sequence[str] = ("tag:clarify",)
    exclude: Sequence[str] = ()
    selector: str | None = None
    state_schema: str | None = None
    """Schema holding watermarks and the run log; default ``<target schema>_clarify``."""
    full_refresh: bool = False
    batch_size: int | None = None
    """Records per bulk request; default the client's (25, Clarify's documented safe size)."""
    concurrency: int | None = None
    fail_fast: bool = False
    read_batch_rows: int = 2000
    """Rows fetched from the warehouse and sent per checkpoint."""
    run_result_path: Path | None = None
    """Where to write the run result; default ``<dbt target path>/clarify_run_results.json``."""
    extra_env: dict[str, str] = field(default_factory=dict)
