"""A ProcedureContext built from injected parts: what the job runner and the tests construct."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, Protocol, TypeVar

import numpy as np

from astigd import __version__
from astigd.app.procedures.averaging import combine_fits
from astigd.app.procedures.context import CalibrationStore
from astigd.app.procedures.optics import FitFunction
from astigd.drivers.base import Microscope
from astigd.drivers.records import Frame, OpticsSnapshot
from astigd.outputs.records import json_safe
from astigd.workers.fit import ESTIMATOR
from astigd.workers.pool import run_in_pool
from astigd.workers.results import CtfFit
from astigd.workers.spectrum import InvalidFrameError

T = TypeVar("T")
FIT_FAILURES = (ValueError, ArithmeticError, np.linalg.LinAlgError)
log = logging.getLogger(__name__)

EventSink = Callable[[str, dict[str, Any]], Awaitable[None]]


class MeasurementRecorder(Protocol):
    """Store a fit with the frame it describes; return the measurement id (None: not stored)."""

    async def __call__(self, fit: CtfFit, frame: Frame, fitted_frame: bool = True) -> int | None:
        """Store the fit; `fitted_frame` is False when the fit is not of this frame's spectrum."""
        ...


async def no_events(kind: str, payload: dict[str, Any]) -> None:
    """Drop an event (for callers that do not listen)."""


async def no_records(fit: CtfFit, frame: Frame, fitted_frame: bool = True) -> None:
    """Store nothing (for callers without a database)."""


class ProcedureRuntime:
    """The services a running procedure gets: scope, fitting, events, cancel, calibrations."""

    def __init__(
        self,
        *,
        scope: Microscope,
        scope_id: str,
        start_snapshot: OpticsSnapshot,
        fit: FitFunction,
        calibrations: CalibrationStore,
        events: EventSink = no_events,
        record: MeasurementRecorder = no_records,
        cancel: asyncio.Event | None = None,
        executor: Executor | None = None,
    ) -> None:
        """Assemble the context; the caller took the start snapshot and restores it on failure."""
        self.scope, self.scope_id, self.start_snapshot = scope, scope_id, start_snapshot
        self._fit, self._events, self._record = fit, events, record
        self._calibrations, self._executor = calibrations, executor
        self.cancel = cancel or asyncio.Event()

    @property
    def calibrations(self) -> CalibrationStore:
        """Return the scope's append-only calibration store."""
        return self._calibrations

    async def acquire_and_fit(
        self, exposure_s: float, binning: int = 1, frames: int = 1
    ) -> tuple[CtfFit, list[Frame]]:
        """Acquire, fit and record `frames` frames; return their weighted average and the frames."""
        if frames < 1:
            raise ValueError(f"frames must be at least 1, got {frames}")
        fits, images, ids = [], [], []
        for _ in range(frames):
            await self.checkpoint()  # between frames nothing moves: a safe point to stop
            frame = await self.scope.acquire(exposure_s, binning)
            fit = await self._fit_frame(frame)
            ids.append(await self._record(fit, frame))
            fits.append(fit)
            images.append(frame)
        return combine_fits(fits, ids), images

    async def record(self, fit: CtfFit, frame: Frame) -> int | None:
        """Store an estimate made from frames but not fitted to them (BTID); return its id."""
        return await self._record(fit, frame, fitted_frame=False)

    async def _fit_frame(self, frame: Frame) -> CtfFit:
        """Fit a frame; a frame the fitter refuses or fails on gives an unreliable fit."""
        try:
            return await self._fit(frame, frame.optics)
        except InvalidFrameError as error:
            return unfittable(f"the frame cannot be fitted: {error}")
        except FIT_FAILURES as error:  # a fitter fault on an odd frame must never steer optics
            log.warning("the fit failed on a frame", exc_info=True)
            return unfittable(f"the fit failed on this frame: {error!r}")

    async def emit(self, kind: str, payload: dict[str, Any]) -> None:
        """Hand a JSON-safe event to the sink (which stores, then publishes it)."""
        await self._events(kind, json_safe(payload))

    async def checkpoint(self) -> None:
        """Yield to the loop; raise CancelledError here when a cancel was requested."""
        await asyncio.sleep(0)
        if self.cancel.is_set():
            raise asyncio.CancelledError("cancel requested")

    async def compute(self, function: Callable[..., T], *args: Any) -> T:
        """Run a pure worker function in the pool (the loop's default threads without one).

        Past the pool's fit timeout it raises FitTimeoutError, which fails the job (and restores
        the scope) rather than waiting forever on a pool with no worker left.
        """
        if self._executor is None:
            return await asyncio.get_running_loop().run_in_executor(None, function, *args)
        return await run_in_pool(self._executor, function, *args)


def unfittable(reason: str) -> CtfFit:
    """Return the unreliable, all-NaN fit that stands for a frame the fitter refused."""
    nan = math.nan
    numbers = dict.fromkeys(
        ("defocus1_nm", "defocus2_nm", "angle_deg", "astig_nm", "astig_x_nm", "astig_y_nm",
         "astig_uncertainty_nm", "defocus_mean_nm", "defocus_uncertainty_nm", "phase_shift_deg",
         "score", "resolution_A"), nan,
    )  # fmt: skip
    return CtfFit(**numbers, reliable=False, reason=reason, elapsed_ms=0.0,
                  estimator=ESTIMATOR, version=__version__)  # fmt: skip


async def runtime_for(scope: Microscope, scope_id: str, **parts: Any) -> ProcedureRuntime:
    """Snapshot the scope now and return a runtime over it (parts as for ProcedureRuntime)."""
    return ProcedureRuntime(
        scope=scope, scope_id=scope_id, start_snapshot=await scope.snapshot(), **parts
    )
