"""Artifacts of a dbt Cloud run, fetched through dbt Cloud's Administrative API (v2).

A sync that follows a dbt Cloud job runs elsewhere: it takes the job's manifest (which names the
tables the job built) and run results (which say what failed) from dbt Cloud.
"""

from dbt_clarify.dbt_cloud.artifacts import CloudArtifacts, fetch_cloud_artifacts
from dbt_clarify.dbt_cloud.client import CloudRun, DbtCloudClient
from dbt_clarify.dbt_cloud.settings import DbtCloudSettings

__all__ = [
    "CloudArtifacts",
    "CloudRun",
    "DbtCloudClient",
    "DbtCloudSettings",
    "fetch_cloud_artifacts",
]
