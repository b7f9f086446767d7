"""The compute pool: a `concurrent.futures.Executor` that fits run in.

By default a local process pool (spawned, so it is safe beside threads and event loops), whose
workers load FFTW wisdom and warm the fitter when they start. A thread pool serves tests and
small machines. A Dask cluster, which needs network I/O, is in `astigd.dask_cluster`. Fits are
pure and picklable; frames travel as numpy arrays, which pickle as raw buffers.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Literal

import numpy as np

from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings, fit_frame
from astigd.workers.results import CtfFit

PoolKind = Literal["local", "thread"]
WARM_UP_SHAPE = (512, 512)


def create_executor(
    kind: PoolKind = "local",
    workers: int = 1,
    warm_up: bool = True,
) -> Executor:
    """Return a new executor of the given kind; the caller shuts it down."""
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="astigd-fit")
    if kind == "local":
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_worker if warm_up else None,
        )
    raise ValueError(f"unknown pool kind {kind!r}: use local or thread")


def warm_worker() -> None:
    """Load saved FFTW wisdom and fit a small noise frame once, so real fits start warm."""
    from astigd.fft_wisdom import load_wisdom

    load_wisdom()
    frame = np.random.default_rng(0).normal(100.0, 10.0, WARM_UP_SHAPE).astype(np.float32)
    with contextlib.suppress(Exception):  # best effort: the imports and plans are what count
        fit_frame(frame, Optics(1.0))


def worker_pid() -> int:
    """Return the worker's process id (a cheap round trip to check the pool is alive)."""
    return os.getpid()


async def ping(executor: Executor, timeout_s: float = 5.0) -> bool:
    """Return whether the pool runs a trivial task within the timeout."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(executor, worker_pid), timeout_s)
    except (TimeoutError, RuntimeError, OSError):
        return False
    return True


def fit_quietly(
    frame: np.ndarray, optics: Optics, settings: FitSettings | None, aniso: AnisoMag | None
) -> CtfFit:
    """Fit a frame with floating-point warnings off: the fit's own quality gates report trouble."""
    with np.errstate(all="ignore"):
        return fit_frame(frame, optics, settings, aniso)


async def fit_in_pool(
    executor: Executor,
    frame: np.ndarray,
    optics: Optics,
    settings: FitSettings | None = None,
    aniso: AnisoMag | None = None,
) -> CtfFit:
    """Fit a frame in the pool without blocking the event loop; errors propagate as raised."""
    loop = asyncio.get_running_loop()
    frame = np.ascontiguousarray(frame)
    return await loop.run_in_executor(executor, fit_quietly, frame, optics, settings, aniso)
