"""Fixtures shared by every test directory."""

import pytest

pytest_plugins = ["support.postgres", "support.dbt_project"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: spread over workers, a long trial started last would end the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
