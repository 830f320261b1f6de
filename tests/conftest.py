"""Fixtures shared by every test directory."""

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["support.postgres", "support.dbt_project"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: spread over workers, a long trial started last would end the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def gc_thresholds() -> Iterator[tuple[int, ...]]:
    """The collector's thresholds as the test found them, restored after it whatever happens."""
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


@pytest.fixture(scope="session", autouse=True)
def clarify_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dbt-clarify's cache in the session's temporary directory rather than the user's."""
    path = tmp_path_factory.mktemp("dbt-clarify-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_CLARIFY_CACHE_DIR", str(path))
        yield path
