"""FFT backends behind one interface: pyfftw with cached plans, or scipy.fft."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import numpy as np
import scipy.fft

DEFAULT_BACKEND = "pyfftw"
BACKEND_ENV = "ASTIGD_FFT_BACKEND"
PLANNING_TIME_LIMIT_S = 0.5  # per new shape met mid-fit; saved wisdom makes planning instant
# FFTW saves no reusable wisdom for a plan whose search hit the time limit, so planning ahead
# (a worker's warm-up) searches in full: a few seconds for 4096² frames' stacks on two cores.
AHEAD_TIME_LIMIT_S = None

Filler = Callable[[np.ndarray], None]


class FftBackend(Protocol):
    """Computes summed periodograms of a stack of tiles."""

    name: str

    def plan(self, shape: tuple[int, int, int]) -> None:
        """Prepare the transform of a float32 (n, rows, cols) stack before it is first needed."""
        ...

    @property
    def planned(self) -> frozenset[tuple[int, int, int]]:
        """Return the stack shapes planned so far."""
        ...

    def power_sum(self, shape: tuple[int, int, int], fill: Filler) -> np.ndarray:
        """Let `fill` write a float32 (n, rows, cols) stack; return Σ|FFT|² on the half plane."""
        ...


def _power_sum(spectra: np.ndarray) -> np.ndarray:
    power = np.square(spectra.real, dtype=np.float32)
    power += np.square(spectra.imag, dtype=np.float32)
    if len(power) == 1:  # one tile (a whole frame): nothing to sum, and float64 would be exact
        return power[0]
    return power.sum(axis=0, dtype=np.float64)


class ScipyBackend:
    """scipy.fft with a worker count; BSD-licensed, no FFTW needed."""

    name = "scipy"

    def __init__(self, threads: int) -> None:
        self.threads = threads

    def plan(self, shape: tuple[int, int, int]) -> None:
        """Do nothing: scipy.fft needs no plans."""

    @property
    def planned(self) -> frozenset[tuple[int, int, int]]:
        """Return no shapes: scipy.fft keeps no plans."""
        return frozenset()

    def power_sum(self, shape: tuple[int, int, int], fill: Filler) -> np.ndarray:
        """Return Σ|FFT|² over the stack that `fill` writes."""
        tiles = np.empty(shape, dtype=np.float32)
        fill(tiles)
        return _power_sum(scipy.fft.rfft2(tiles, axes=(-2, -1), workers=self.threads))


class PyfftwBackend:
    """FFTW through pyfftw, one float32 plan per stack shape, planned once and reused."""

    name = "pyfftw"

    def __init__(self, threads: int) -> None:
        import pyfftw  # imported here so the scipy backend never needs it

        self._pyfftw = pyfftw
        self.threads = threads
        self._plans: dict[tuple[int, int, int], object] = {}
        self._lock = threading.Lock()

    def plan(self, shape: tuple[int, int, int]) -> None:
        """Plan the stack shape now, in full (FFTW_MEASURE, or instantly from loaded wisdom)."""
        with self._lock:
            self._plan(tuple(int(n) for n in shape), AHEAD_TIME_LIMIT_S)

    @property
    def planned(self) -> frozenset[tuple[int, int, int]]:
        """Return the stack shapes this backend holds plans for."""
        with self._lock:
            return frozenset(self._plans)

    def _plan(
        self, shape: tuple[int, int, int], time_limit_s: float | None = PLANNING_TIME_LIMIT_S
    ):
        if shape not in self._plans:
            tiles = self._pyfftw.empty_aligned(shape, dtype=np.float32)
            spectra = self._pyfftw.empty_aligned((*shape[:2], shape[2] // 2 + 1), np.complex64)
            self._plans[shape] = self._pyfftw.FFTW(
                tiles,
                spectra,
                axes=(-2, -1),
                flags=("FFTW_MEASURE",),
                threads=self.threads,
                planning_timelimit=time_limit_s,
            )
        return self._plans[shape]

    def power_sum(self, shape: tuple[int, int, int], fill: Filler) -> np.ndarray:
        """Fill the plan's own aligned input (no copy) and transform it; one call at a time."""
        with self._lock:
            plan = self._plan(shape)
            fill(plan.input_array)
            plan.execute()
            return _power_sum(plan.output_array)


def export_wisdom() -> tuple[bytes, bytes, bytes] | None:
    """Return FFTW's accumulated wisdom for the caller to persist, or None without pyfftw."""
    try:
        import pyfftw
    except ImportError:
        return None
    return pyfftw.export_wisdom()


def import_wisdom(wisdom: tuple[bytes, bytes, bytes]) -> bool:
    """Load previously exported FFTW wisdom; return whether FFTW accepted it all."""
    import pyfftw

    return all(pyfftw.import_wisdom(wisdom))


@lru_cache(maxsize=8)
def _backend(name: str, threads: int) -> FftBackend:
    if name == "scipy":
        return ScipyBackend(threads)
    if name == "pyfftw":
        try:
            return PyfftwBackend(threads)
        except ImportError:
            return ScipyBackend(threads)
    raise ValueError(f"unknown FFT backend {name!r}: use 'pyfftw' or 'scipy'")


def get_backend(name: str | None = None, threads: int = 2) -> FftBackend:
    """Return the named backend (default: $ASTIGD_FFT_BACKEND, else pyfftw), one per process."""
    return _backend((name or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND).lower(), threads)
