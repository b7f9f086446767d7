"""One dedicated thread per scope for blocking vendor calls, with timeouts and busy retry."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from astigd.drivers.errors import ScopeBusyError, ScopeError, ScopeTimeoutError, VendorError
from astigd.drivers.limits import ScopeTiming

T = TypeVar("T")


class VendorThread:
    """Run vendor calls one at a time on a single worker thread."""

    def __init__(self, name: str, timing: ScopeTiming) -> None:
        """Start the worker thread for the scope called `name`."""
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"astigd-{name}")
        self._timing = timing

    async def call(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        """Run fn(*args) on the vendor thread, retrying while the scope reports busy."""
        retries = self._timing.busy_retries
        for attempt in range(retries + 1):
            try:
                return await self._once(fn, args, timeout_s or self._timing.call_timeout_s)
            except ScopeBusyError:
                if attempt == retries:
                    raise
                await asyncio.sleep(self._timing.busy_backoff_s)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, fn: Callable[..., T], args: tuple, timeout_s: float) -> T:
        """Run one call, translating a timeout and any untyped exception."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, functools.partial(fn, *args))
        name = getattr(fn, "__name__", repr(fn))
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError as exc:
            if isinstance(exc, ScopeError):
                raise
            raise ScopeTimeoutError(f"{name} did not answer within {timeout_s} s") from None
        except ScopeError:
            raise
        except Exception as exc:
            raise VendorError(f"{name} failed: {exc!r}") from exc

    def close(self) -> None:
        """Stop the worker thread without waiting for a call that hangs."""
        self._pool.shutdown(wait=False, cancel_futures=True)
