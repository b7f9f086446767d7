"""Simulated time: real time divided by the time-scale factor, plus explicit jumps."""

from __future__ import annotations

import threading
import time


class SimClock:
    """Seconds since the session started, in simulated time.

    With time_scale s > 0 one real second is 1/s simulated seconds; with s = 0 simulated time
    stands still except for `advance`, so tests are deterministic.
    """

    def __init__(self, time_scale: float, clock=time.monotonic) -> None:
        self._scale = time_scale
        self._clock = clock
        self._start = clock()
        self._offset_s = 0.0
        self._lock = threading.Lock()

    def elapsed_s(self) -> float:
        """Return simulated seconds since the start."""
        with self._lock:
            running = (self._clock() - self._start) / self._scale if self._scale > 0 else 0.0
            return running + self._offset_s

    def advance(self, seconds: float) -> None:
        """Jump forward in simulated time."""
        if seconds < 0:
            raise ValueError(f"time only runs forward; got {seconds} s")
        with self._lock:
            self._offset_s += seconds

    def sleep(self, simulated_s: float) -> None:
        """Block for the real duration of a simulated wait."""
        if simulated_s > 0 and self._scale > 0:
            time.sleep(simulated_s * self._scale)
