"""dbt-clarify: keep the Clarify CRM in sync with a dbt project.

``dbt_clarify.sync(...)`` runs the same sync as the ``dbt-clarify sync`` command, for
orchestrators such as Airflow or Dagster. Imports stay light until it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbt_clarify.engine.progress import Reporter
    from dbt_clarify.engine.result import RunResult

__version__ = "0.1.0"


def sync(*, reporter: Reporter | None = None, **options: Any) -> RunResult:
    """Sync the selected models and return the run result (also written as JSON).

    Takes the fields of ``dbt_clarify.engine.options.SyncOptions`` as keywords, e.g.
    ``sync(project_dir="analytics", select=["tag:clarify"], target="prod")``. Credentials come
    from ``settings=ClarifySettings(...)`` or, by default, from the CLARIFY_* environment.
    Configuration mistakes raise ``dbt_clarify.errors.ConfigError`` before anything is sent.
    """
    from pathlib import Path

    from dbt_clarify.engine.options import SyncOptions
    from dbt_clarify.engine.runner import run_sync
    from dbt_clarify.settings import ClarifySettings

    settings = options.pop("settings", None) or ClarifySettings.from_env()
    for name in (
        "project_dir",
        "profiles_dir",
        "manifest_path",
        "run_results_path",
        "run_result_path",
    ):
        if options.get(name) is not None:
            options[name] = Path(options[name])
    return run_sync(SyncOptions(settings=settings, **options), reporter)
