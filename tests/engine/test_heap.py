"""Long-lived objects are kept out of the collector's way during a sync, and at the exit."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dbt_clarify.cli.main import main
from dbt_clarify.engine.heap import long_lived_objects_frozen
from dbt_clarify.errors import ExitCode


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


@pytest.mark.usefixtures("nothing_frozen")
def test_a_freeze_of_the_callers_own_is_left_as_it_was() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with long_lived_objects_frozen():
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == frozen


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
