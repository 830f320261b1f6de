"""The collector during a sync: long-lived objects frozen, collections rarer; all undone after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dbt_clarify.engine.heap import YOUNG_THRESHOLD, collector_tuned_for_the_sync


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("nothing_frozen")
def test_what_is_alive_before_the_block_is_frozen_in_it_and_handed_back_after() -> None:
    before = [object() for _ in range(3)]  # lists are tracked by the collector
    with collector_tuned_for_the_sync():
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects())  # frozen: in no generation
    assert any(o is before for o in gc.get_objects())
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("nothing_frozen")
def test_collections_are_rarer_in_the_block_and_as_they_were_after() -> None:
    before = gc.get_threshold()
    with collector_tuned_for_the_sync():
        assert gc.get_threshold() == (max(before[0], YOUNG_THRESHOLD), *before[1:])
    assert gc.get_threshold() == before


@pytest.mark.usefixtures("nothing_frozen")
def test_a_callers_own_freeze_and_thresholds_are_left_as_they_were() -> None:
    gc.freeze()
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    with collector_tuned_for_the_sync():
        assert (gc.get_freeze_count(), gc.get_threshold()) == (frozen, thresholds)
    assert (gc.get_freeze_count(), gc.get_threshold()) == (frozen, thresholds)
