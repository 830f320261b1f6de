"""Keep Python's garbage collector off the objects that live for the whole sync.

By the time the first row is read, the process holds about 170,000 objects (integration_tests) that
stay until it ends: dbt's manifest and adapter, Jinja's templates, every imported module. A sync
then allocates several container objects per row, so the collector runs thousands of times, and
each full collection walks all of those long-lived objects again for nothing. Freezing them
(``gc.freeze``) takes them out of every later collection; the rows' own objects are collected
as before.
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
