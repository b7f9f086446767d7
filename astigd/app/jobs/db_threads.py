"""The job machinery's database threads: calls that outlive a cancelled caller are awaited.

`asyncio.to_thread` cannot stop a thread, so a call whose task was cancelled at shutdown
would otherwise still be using a connection after the engine was disposed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
DB_THREADS = 4


class DbThreads:
    """A small thread pool for blocking database calls, drained at shutdown."""

    def __init__(self, workers: int = DB_THREADS) -> None:
        """Start no threads yet; they are created on demand."""
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="astigd-jobs-db")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in a database thread and return its result."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def close(self) -> None:
        """Wait for calls still running, then stop the threads."""
        await asyncio.to_thread(self._pool.shutdown, True)
