"""Keep Python's garbage collector off objects that live long, in a sync and in the emulator.

By the time the first row is read, the process holds about 170,000 objects (integration_tests) that
stay until it ends: dbt's manifest and adapter, Jinja's templates, every imported module. A sync
then allocates several container objects per row, so the collector runs thousands of times, and
each full collection walks all of those long-lived objects again for nothing. Freezing them
(``gc.freeze``) takes them out of every later collection; the rows' own objects are collected
as before. The same holds for the collection Python makes as the process exits.

With those objects frozen, what the collector still walks is mostly the batches in flight, and
a young collection walks them again each time; the rows themselves are freed by reference
counting as each batch settles. What brings young collections on is the garbage left in
reference cycles, mostly by dbt's Jinja as it renders each checkpoint's statements. So while
rows flow, young collections come every 50,000 allocations instead of Python's 700, and so they
do while dbt loads the project, whose objects mostly live on, and in the emulator's own
process, which keeps every record it is sent (benchmarks/README.md has the figures).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_COLLECTION_ALLOCATIONS = 50_000
"""Allocations (less deallocations) between young collections; Python's is 700.

Garbage in reference cycles waits longer for it. At 10,000, a lifted first sync of a million
rows made about 550 collections, which took 8 s of its CPU; at 50,000, a dozen took 0.5 s,
and the sync peaked 1-3 MB higher.
"""


@contextmanager
def long_lived_objects_frozen() -> Iterator[None]:
    """Freeze what is alive now for the duration of the block, then hand it back to the collector.

    Handing back matters when the sync runs inside a longer process (a test, an orchestrator):
    what it froze can become garbage later. An outer freeze is left as it was.
    """
    if gc.get_freeze_count():
        yield
        return
    # The two younger generations only: their garbage is not frozen. A full collection would
    # walk every long-lived object once more (a tenth of a second or more after dbt's load) for
    # the few cycles that reached the oldest generation; those are left until the block ends.
    gc.collect(1)
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def young_collections_rarer() -> Iterator[None]:
    """Collect the youngest generation less often for the duration of the block.

    A caller's own threshold is kept if it is already higher, and restored at the end.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION_ALLOCATIONS), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


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
