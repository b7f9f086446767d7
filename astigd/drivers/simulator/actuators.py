"""Lens actuators that take time and remember their past: settling and stigmator hysteresis."""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np

STIGMATOR_BACKLASH = 0.002  # dead band of the stigmator coils, normalized units
WRITE_LOG_LENGTH = 10_000


class Settling:
    """A vector that approaches its target exponentially after each set."""

    def __init__(self, value: np.ndarray, tau_real_s: float, clock=time.monotonic) -> None:
        self._clock = clock
        self._tau = tau_real_s
        self._start = np.array(value, dtype=float)
        self._target = np.array(value, dtype=float)
        self._set_at = clock()

    @property
    def target(self) -> np.ndarray:
        """Return where the actuator is headed."""
        return self._target.copy()

    def set(self, target: np.ndarray) -> None:
        """Head for a new target from wherever the actuator is now."""
        self._start = self.now()
        self._target = np.array(target, dtype=float)
        self._set_at = self._clock()

    def now(self) -> np.ndarray:
        """Return the value at this instant."""
        if self._tau <= 0.0:
            return self._target.copy()
        remaining = math.exp(-(self._clock() - self._set_at) / self._tau)
        return self._target + (self._start - self._target) * remaining


class Backlash:
    """Per-axis play: the output follows the input only once it leaves a dead band."""

    def __init__(self, size: int, width: float = STIGMATOR_BACKLASH) -> None:
        self._half = 0.5 * width
        self._output = np.zeros(size)

    def apply(self, command: np.ndarray) -> np.ndarray:
        """Move to a command and return the output it produces."""
        command = np.asarray(command, dtype=float)
        upper, lower = command + self._half, command - self._half
        self._output = np.clip(self._output, lower, upper)
        return self._output.copy()


class Stigmator:
    """MX/MY as commanded (what the scope reports) and as effective (what the beam sees)."""

    def __init__(self, tau_real_s: float, backlash: float = STIGMATOR_BACKLASH) -> None:
        self._commanded = np.zeros(2)
        self.writes: deque[tuple[float, float]] = deque(maxlen=WRITE_LOG_LENGTH)
        self._backlash = Backlash(2, backlash)
        self._settle = Settling(np.zeros(2), tau_real_s)

    @property
    def commanded(self) -> tuple[float, float]:
        """Return the setting the scope reports."""
        return float(self._commanded[0]), float(self._commanded[1])

    def set(self, value: tuple[float, float]) -> None:
        """Command a new setting."""
        self._commanded = np.asarray(value, dtype=float)
        self.writes.append(self.commanded)
        self._settle.set(self._backlash.apply(self._commanded))

    def effective(self) -> tuple[float, float]:
        """Return the setting the beam sees now."""
        value = self._settle.now()
        return float(value[0]), float(value[1])
