"""integration_tests parsed for each of the six adapters, with placeholder credentials.

No warehouse is reached: dbt parses the project with each adapter's profile, selection runs on
the manifest, and the package's macros are rendered through that adapter's dispatch. The
adapters' Python packages must be installed (the dev extra brings them); a missing one fails
its tests with the command that installs it.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from dbt_clarify.dbt import DbtProject, ProjectOptions
from support.dbt_project import REPO_ROOT

DIALECTS = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "redshift": "redshift",
    "databricks": "databricks",
}
"""Each dbt adapter type and the sqlglot dialect its SQL is parsed in."""

PROFILES = """\
integration_tests:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{duckdb_path}"
    postgres:
      type: postgres
      host: 127.0.0.1
      port: 5432
      user: placeholder
      password: placeholder
      dbname: analytics
      schema: dbt_clarify_it
    snowflake:
      type: snowflake
      account: placeholder-account
      user: placeholder
      password: placeholder
      database: analytics
      warehouse: transforming
      schema: dbt_clarify_it
    bigquery:
      type: bigquery
      method: oauth
      project: placeholder-project
      dataset: dbt_clarify_it
    redshift:
      type: redshift
      host: placeholder.redshift.amazonaws.com
      port: 5439
      user: placeholder
      password: placeholder
      dbname: analytics
      schema: dbt_clarify_it
    databricks:
      type: databricks
      host: placeholder.cloud.databricks.com
      http_path: /sql/1.0/warehouses/placeholder
      token: placeholder
      catalog: main
      schema: dbt_clarify_it
"""


def _not_installed(package: str) -> str:
    return (
        f"{package} is not installed: install the dev extra "
        "(`pip install -c constraints.txt -e '.[dev]'`, as scripts/test does), "
        "or leave the adapter tests out with -m 'not adapters'"
    )


def require_adapter(adapter_type: str) -> None:
    """Fail, saying how to install it, when an adapter's Python package is missing."""
    if importlib.util.find_spec(f"dbt.adapters.{adapter_type}") is None:
        pytest.fail(_not_installed(f"dbt-{adapter_type}"), pytrace=False)


def dbt_environment(project_dir: Path) -> dict[str, str]:
    return {
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_CLARIFY_PACKAGE_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def parse_offline(project_dir: Path, adapter_type: str) -> DbtProject:
    """integration_tests parsed with the ``adapter_type`` target (its own target path).

    dbt keeps one set of registered adapters per process: use the project before the next
    parse.
    """
    require_adapter(adapter_type)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in dbt_environment(project_dir).items():
            patch.setenv(name, value)
        return DbtProject.load(
            ProjectOptions(
                project_dir=project_dir,
                profiles_dir=project_dir,
                target=adapter_type,
                target_path=project_dir / f"target-{adapter_type}",
            )
        )


def required(module: str, package: str) -> ModuleType:
    """Import a package only these tests use, or fail saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.fail(_not_installed(package), pytrace=False)
