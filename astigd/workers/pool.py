"""The compute pool: a `concurrent.futures.Executor` that fits run in.

By default a local process pool (spawned, so it is safe beside threads and event loops), whose
workers load FFTW wisdom, plan the FFTs of real frame shapes and save the wisdom when they
start. A thread pool serves tests and small machines. A Dask cluster, which needs network I/O,
is in `astigd.dask_cluster`. `FitPool` wraps any of them with a fit timeout and a count of fits
in flight. Fits are pure and picklable; frames travel as numpy arrays (raw buffers).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics
from astigd.workers.fft import get_backend
from astigd.workers.fit import FitSettings, fft_shapes, fit_frame
from astigd.workers.results import CtfFit

PoolKind = Literal["local", "thread"]
WARM_UP_SHAPE = (512, 512)
T = TypeVar("T")


class FitTimeoutError(TimeoutError):
    """No result from the pool within its fit timeout: no worker is left, or all are stuck."""


class FitPool(Executor):
    """An executor with a fit timeout and a count of tasks in flight (queued or running)."""

    def __init__(
        self,
        inner: Executor,
        fit_timeout_s: float | None = None,
        workers: Callable[[], int | None] = lambda: None,
        stall_hint: str = "",
    ) -> None:
        """Wrap `inner`; `workers` counts who can fit, `stall_hint` explains a timeout."""
        self.inner, self.fit_timeout_s, self.stall_hint = inner, fit_timeout_s, stall_hint
        self._workers, self._in_flight, self._lock = workers, 0, threading.Lock()

    @property
    def in_flight(self) -> int:
        """Return how many submitted tasks have no result yet."""
        return self._in_flight

    def workers(self) -> int | None:
        """Return how many workers can fit now (None if unknown)."""
        return self._workers()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        """Submit to the wrapped executor, counting the task until it is done."""
        future = self.inner.submit(fn, *args, **kwargs)
        with self._lock:
            self._in_flight += 1
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future) -> None:
        with self._lock:
            self._in_flight -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the wrapped executor down."""
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def create_executor(
    kind: PoolKind = "local",
    workers: int = 1,
    warm_up: bool = True,
    frame_shapes: tuple[tuple[int, int], ...] | None = None,
    wisdom: Path | None = None,
) -> Executor:
    """Return a new executor of the given kind; the caller shuts it down."""
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="astigd-fit")
    if kind == "local":
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=warm_worker if warm_up else None,
            initargs=(frame_shapes, wisdom) if warm_up else (),
        )
    raise ValueError(f"unknown pool kind {kind!r}: use local or thread")


def plan_ffts(
    frame_shapes: Iterable[tuple[int, int]], settings: FitSettings | None = None
) -> set[tuple[int, int, int]]:
    """Plan every FFT stack that fits of these frame shapes use; return the stack shapes."""
    settings = settings or FitSettings()
    backend = get_backend(settings.fft_backend, settings.fft_threads)
    stacks = set().union(*(fft_shapes(tuple(shape), settings) for shape in frame_shapes))
    for stack in sorted(stacks):
        backend.plan(stack)
    return stacks


def warm_worker(
    frame_shapes: tuple[tuple[int, int], ...] | None = None,
    wisdom: Path | None = None,
    settings: FitSettings | None = None,
) -> set[tuple[int, int, int]]:
    """Load FFTW wisdom, plan the FFTs of real frames, save the wisdom, and fit a frame once.

    Without arguments: the frame shapes of $ASTIGD_WARM_FRAME_SHAPES and the wisdom file of
    `astigd.fft_wisdom.wisdom_path()`. Returns the stack shapes planned.
    """
    from astigd.fft_wisdom import load_wisdom, save_wisdom, warm_frame_shapes

    load_wisdom(wisdom)
    stacks = plan_ffts(frame_shapes or warm_frame_shapes(), settings)
    save_wisdom(wisdom)
    frame = np.random.default_rng(0).normal(100.0, 10.0, WARM_UP_SHAPE).astype(np.float32)
    with contextlib.suppress(Exception):  # best effort: the imports are what count here
        fit_frame(frame, Optics(1.0), settings)
    return stacks


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


async def run_in_pool(executor: Executor, fn: Callable[..., T], *args: Any) -> T:
    """Run fn(*args) in the pool; past the pool's fit timeout, cancel it: FitTimeoutError."""
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(executor, fn, *args)
    timeout_s = getattr(executor, "fit_timeout_s", None)
    try:
        return await asyncio.wait_for(future, timeout_s)
    except TimeoutError as error:
        if isinstance(error, FitTimeoutError) or future.done() and not future.cancelled():
            raise  # the task itself raised a TimeoutError
        hint = getattr(executor, "stall_hint", "")
        raise FitTimeoutError(
            f"no result from the compute pool within {timeout_s:g} s{': ' + hint if hint else ''}"
        ) from None


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
    """Fit a frame in the pool without blocking the event loop; errors propagate as raised.

    Raises FitTimeoutError when the pool (a FitPool) has no result within its fit timeout.
    """
    frame = np.ascontiguousarray(frame)
    return await run_in_pool(executor, fit_quietly, frame, optics, settings, aniso)
