"""Fixtures shared by every test directory."""

pytest_plugins = ["support.dbt_project"]
