"""One thread that owns the microscope and runs every call on it, one at a time."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class MicroscopeCalls:
    """Create the microscope on a dedicated thread and run each call there.

    TEM Scripting's COM objects belong to the (single-threaded) apartment of the thread that
    created them, and the web server answers requests from a pool of threads; so every call is
    handed to this one thread. It also serializes calls, as temscript's own server does.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="astigd-scope-pc")
        self.microscope = self._pool.submit(_create, factory).result()

    def run(self, call: Callable[[Any], T]) -> T:
        """Return call(microscope), run on the microscope's thread."""
        return self._pool.submit(call, self.microscope).result()

    def close(self) -> None:
        """Stop the thread after the pending calls."""
        self._pool.shutdown(wait=True)


def _create(factory: Callable[[], Any]) -> Any:
    """Enter a COM apartment on this thread (Windows), then create the microscope."""
    if sys.platform == "win32":
        from temscript._com import initialize_com

        initialize_com()
    return factory()
