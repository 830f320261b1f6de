"""One thread for a sync's warehouse calls, so that the event loop goes on sending meanwhile.

A checkpoint (its ledger rows, the watermark, a commit) or the read of the next batch
takes tens of milliseconds, more on a warehouse across a network. On the event loop it would
hold back every answer and request due meanwhile; here they go on. dbt keeps one connection per
thread, so a sync opens its connection on this thread and makes every warehouse call there:
one connection, its statements one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


class WarehouseThread:
    """Runs calls one at a time on a thread of its own, awaited from the event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dbt-clarify-sql")

    async def run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)`` on the thread; the event loop runs on meanwhile."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(call, *args, **kwargs))

    @contextlib.asynccontextmanager
    async def entered(self, context: AbstractContextManager[T]) -> AsyncIterator[T]:
        """``context`` entered and left on the thread, as a dbt connection must be."""
        stack = contextlib.ExitStack()
        value = await self.run(stack.enter_context, context)
        try:
            yield value
        finally:
            await self.run(stack.close)

    def close(self) -> None:
        self._executor.shutdown()

    def __enter__(self) -> WarehouseThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
