"""Download what a sync needs from a dbt Cloud run: its manifest and its run results.

A job runs several dbt commands, one per step (``dbt build``, then often ``dbt docs generate``),
and dbt Cloud serves the last step's files by default. The last step's run results would then
say nothing about the build, so the run results of every step are read and merged, later steps
over earlier ones, keeping only steps that built or tested something.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt_clarify.dbt_cloud.client import CloudRun, DbtCloudClient
from dbt_clarify.dbt_cloud.settings import DbtCloudSettings
from dbt_clarify.dbt_results.run_results_file import BUILDING_COMMANDS, RUN_RESULTS_FILE
from dbt_clarify.errors import ConfigError

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class CloudArtifacts:
    """Where the run's files were written, and which run they came from."""

    run_id: int
    manifest_path: Path
    run_results_path: Path | None
    """None when no step of the run built or tested anything."""


def fetch_cloud_artifacts(
    settings: DbtCloudSettings,
    dest_dir: Path,
    *,
    run_id: int | None = None,
    job_id: int | None = None,
    client: DbtCloudClient | None = None,
) -> CloudArtifacts:
    """Write the manifest and merged run results of a run (or a job's latest) into ``dest_dir``.

    ConfigError when the run is unknown, unfinished or has no manifest.
    """
    if (run_id is None) == (job_id is None):
        raise ConfigError(
            "give either a dbt Cloud run id or a job id, not both or neither",
            hint="--dbt-cloud-run-id for one run, --dbt-cloud-job-id for a job's latest run",
        )
    with client or DbtCloudClient(settings) as cloud:
        if run_id is not None:
            run = cloud.run(run_id)
        else:
            assert job_id is not None
            run = cloud.latest_finished_run(job_id)
        if not run.finished:
            raise ConfigError(
                f"dbt Cloud run {run.id} has not finished (status {run.status_name})",
                hint="sync after the run ends, or name a finished run",
            )
        manifest = cloud.artifact(run.id, MANIFEST_FILE)
        if manifest is None:
            raise ConfigError(
                f"dbt Cloud run {run.id} has no {MANIFEST_FILE} (status {run.status_name})",
                hint="the run must have parsed the project; artifacts also expire after a while",
            )
        run_results = _merged_run_results(cloud, run)
    dest_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = dest_dir / MANIFEST_FILE
    manifest_path.write_bytes(manifest)
    run_results_path = None
    if run_results is not None:
        run_results_path = dest_dir / RUN_RESULTS_FILE
        run_results_path.write_text(json.dumps(run_results), encoding="utf-8")
    return CloudArtifacts(run.id, manifest_path, run_results_path)


def _merged_run_results(cloud: DbtCloudClient, run: CloudRun) -> dict[str, Any] | None:
    """One run_results document for the run: each node's latest result across its steps."""
    steps: tuple[int | None, ...] = run.step_indexes or (None,)
    merged: dict[str, Any] | None = None
    results: dict[str, Any] = {}
    for step in steps:
        document = _json(cloud.artifact(run.id, RUN_RESULTS_FILE, step=step))
        args = document.get("args")
        which = args.get("which") if isinstance(args, Mapping) else None
        if not document or which not in (None, *BUILDING_COMMANDS):
            continue
        for entry in document.get("results") or ():
            if isinstance(entry, Mapping) and isinstance(entry.get("unique_id"), str):
                results.pop(entry["unique_id"], None)
                results[entry["unique_id"]] = entry
        # The latest building step names the invocation: its metadata and args.
        merged = {**document, "results": list(results.values())}
    return merged


def _json(content: bytes | None) -> Mapping[str, Any]:
    if content is None:
        return {}
    try:
        document = json.loads(content)
    except ValueError:
        return {}
    return document if isinstance(document, Mapping) else {}
