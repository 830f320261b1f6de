"""Fixtures shared by every test directory."""

pytest_plugins = ["support.postgres", "support.dbt_project"]
