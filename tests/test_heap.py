"""The collector is kept out of a sync's way while it runs and as the command exits."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from dbt_clarify.cli.main import main
from dbt_clarify.errors import ExitCode
from dbt_clarify.heap import (
    YOUNG_COLLECTION_ALLOCATIONS,
    long_lived_objects_frozen,
    young_collections_rarer,
)


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("nothing_frozen")
def test_what_is_alive_before_the_block_is_frozen_in_it_and_handed_back_after() -> None:
    before = [object() for _ in range(3)]  # lists are tracked by the collector
    with long_lived_objects_frozen():
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects())  # frozen: in no generation
    assert any(o is before for o in gc.get_objects())
    assert gc.get_freeze_count() == 0


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.mark.usefixtures("nothing_frozen")
def test_young_garbage_is_freed_before_the_freeze_without_a_full_collection() -> None:
    """A full collection would walk every long-lived object again (dbt's manifest, modules)."""
    generations: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.disable()  # only the block's own collection runs
    gc.callbacks.append(note)
    try:
        garbage = weakref.ref(_Cycle())  # a reference cycle: only the collector frees it
        assert garbage() is not None
        with long_lived_objects_frozen():
            assert garbage() is None
    finally:
        gc.callbacks.remove(note)
        gc.enable()
    assert generations
    assert max(generations) < 2


@pytest.mark.usefixtures("nothing_frozen")
def test_a_freeze_of_the_callers_own_is_left_as_it_was() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with long_lived_objects_frozen():
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == frozen


def test_young_collections_are_rarer_in_the_block_and_as_they_were_after(
    gc_thresholds: tuple[int, ...],
) -> None:
    assert gc_thresholds[0] < YOUNG_COLLECTION_ALLOCATIONS
    with young_collections_rarer():
        assert gc.get_threshold() == (YOUNG_COLLECTION_ALLOCATIONS, *gc_thresholds[1:])
    assert gc.get_threshold() == gc_thresholds


def test_a_callers_own_rarer_young_collections_are_kept(gc_thresholds: tuple[int, ...]) -> None:
    gc.set_threshold(50_000, *gc_thresholds[1:])
    with young_collections_rarer():
        assert gc.get_threshold()[0] == 50_000
    assert gc.get_threshold()[0] == 50_000


@pytest.mark.usefixtures("nothing_frozen")
@pytest.mark.parametrize(
    ("argv", "code"), [(["--version"], ExitCode.SUCCESS), (["no-such-command"], ExitCode.CONFIG)]
)
def test_the_command_exits_with_its_code_and_its_objects_out_of_the_last_collection(
    argv: list[str], code: int
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == code
    assert gc.get_freeze_count() > 0
