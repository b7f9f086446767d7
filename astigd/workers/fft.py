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
PLANNING_TIME_LIMIT_S = 0.5  # per new shape; saved wisdom makes later processes plan instantly

Filler = Callable[[np.ndarray], None]


class FftBackend(Protocol):
    """Computes summed periodograms of a stack of tiles."""

    name: str

    def power_sum(self, shape: tuple[int, int, int], fill: Filler) -> np.ndarray:
        """Let `fill` write a float32 (n, rows, cols) stack; return Σ|FFT|² on the half plane."""
        ...


def _power_sum(spectra: np.ndarray) -> np.ndarray:
    power = np.square(spectra.real, dtype=np.float32)
    power += np.square(spectra.imag, dtype=np.float32)
    return power.sum(axis=0, dtype=np.float64)


class ScipyBackend:
    """scipy.fft with a worker count; BSD-licensed, no FFTW needed."""

    name = "scipy"

    def __init__(self, threads: int) -> None:
        self.threads = threads

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

    def _plan(self, shape: tuple[int, int, int]):
        if shape not in self._plans:
            tiles = self._pyfftw.empty_aligned(shape, dtype=np.float32)
            spectra = self._pyfftw.empty_aligned((*shape[:2], shape[2] // 2 + 1), np.complex64)
            self._plans[shape] = self._pyfftw.FFTW(
                tiles,
                spectra,
                axes=(-2, -1),
                flags=("FFTW_MEASURE",),
                threads=self.threads,
                planning_timelimit=PLANNING_TIME_LIMIT_S,
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
