"""Keep Python's garbage collector off the objects that live for the whole sync.

By the time the first row is read, the process holds about 170,000 objects (integration_tests) that
stay until it ends: dbt's manifest and adapter, Jinja's templates, every imported module. A sync
then allocates several container objects per row, so the collector runs thousands of times, and
each full collection walks all of those long-lived objects again for nothing. Freezing them
(``gc.freeze``) takes them out of every later collection; the rows' own objects are collected
as before. The same holds for the collection Python makes as the process exits.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Freeze what is alive now for the duration of the block, then hand it back to the collector.

    Handing back matters when the sync runs inside a longer process (a test, an orchestrator):
    what it froze can become garbage later. An outer freeze is left as it was.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.collect()  # freeze no garbage
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def skip_the_collection_at_exit() -> None:
    """Leave the process's objects to the operating system: the command is about to exit.

    As it exits, Python collects once more, walking every object still tracked (dbt's manifest,
    Jinja's templates, every module) for cycles to free a moment before the process's memory
    goes anyway: about a quarter of a second at the end of every sync (benchmarks/README.md).
    Frozen objects are left out of that walk. Everything else at exit happens as before:
    atexit handlers run, files are flushed, and objects are released by reference counting;
    only the finalizers of objects in reference cycles, which Python does not promise at exit,
    may not run.
    """
    gc.freeze()
