"""What one sync run is asked to do: the options a user passes on the command line or from code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI reads the defaults below without loading the client
    from dbt_clarify.clarify import ClientOptions
    from dbt_clarify.settings import ClarifySettings

READ_BATCH_ROWS = 1000
"""Rows fetched from the warehouse and sent at a time, unless asked otherwise."""
CHECKPOINT_ROWS = 4000
"""Rows settled between checkpoints, unless asked otherwise."""


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
    """Records per bulk request; default the client's (100, lowered to what Clarify accepts)."""
    concurrency: int | None = None
    client: ClientOptions | None = None
    """Timeouts, retries and pacing of the Clarify client (``batch_size`` and ``concurrency``
    above win over its own)."""
    fail_fast: bool = False
    read_batch_rows: int = READ_BATCH_ROWS
    """Rows fetched from the warehouse and sent at a time."""
    checkpoint_rows: int = CHECKPOINT_ROWS
    """Rows settled between checkpoints, in whole read batches. Each checkpoint costs the
    warehouse a transaction and a watermark; a sync stopped between two sends the rows since
    the last one again, as updates."""
    run_result_path: Path | None = None
    """Where to write the run result; default ``<dbt target path>/clarify_run_results.json``."""
    extra_env: dict[str, str] = field(default_factory=dict)
    ignore_dbt_results: bool = False
    """Sync models even when their latest dbt build or tests failed."""
    manifest_path: Path | None = None
    """A manifest.json to use instead of parsing the project (one a dbt Cloud job wrote)."""
    run_results_path: Path | None = None
    """The run_results.json to judge models by; default target/ and the on-run-end record."""
    dbt_cloud_run_id: int | None = None
    """Take the manifest and run results of this dbt Cloud run (DBT_CLOUD_* settings)."""
    dbt_cloud_job_id: int | None = None
    """Take them from the latest finished run of this dbt Cloud job."""
