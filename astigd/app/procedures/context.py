"""What a procedure may use: the scope, the fit pool, events, cancellation and calibrations.

Procedures (correct, calibrate_stigmators, defocus_sweep, mag_sweep, acceptance) are async
functions `async def run(ctx: ProcedureContext, params: Params) -> dict` in one file each. The job
runner (`astigd.app.jobs`) builds the context: it holds the scope lease, snapshots the scope
before the procedure starts and restores that snapshot when the procedure raises or is
cancelled, writes every event to the database before publishing it, and stores the returned dict
as the job's result. Tests build the same context over an in-process simulated scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from astigd.drivers.base import Microscope
from astigd.drivers.records import Frame, OpticsSnapshot
from astigd.workers.results import CtfFit

T = TypeVar("T")


class ProcedureContext(Protocol):
    """The services a running procedure gets from its job."""

    scope_id: str
    scope: Microscope
    start_snapshot: OpticsSnapshot  # taken by the runner before the procedure started

    async def acquire_and_fit(
        self, exposure_s: float, binning: int = 1, frames: int = 1
    ) -> tuple[CtfFit, list[Frame]]:
        """Acquire and fit frames; return their uncertainty-weighted average fit and the frames.

        Each frame is fitted in the pool with the scope's optics and the anisotropy of the current
        magnification, and every fit is stored as a measurement. Astigmatism is vector-averaged.
        """
        ...

    async def record(self, fit: CtfFit, frame: Frame) -> int | None:
        """Store an estimate made from frames but not fitted to them (BTID) as a measurement.

        `frame` gives the optics it describes. Returns the measurement id (None without a DB).
        """
        ...

    async def emit(self, kind: str, payload: dict[str, Any]) -> None:
        """Record an event ('step', 'move', 'fit', 'warning', 'alert'): stored, then published."""
        ...

    async def checkpoint(self) -> None:
        """Mark a safe point: raises asyncio.CancelledError here if a cancel was requested."""
        ...

    async def compute(self, function: Callable[..., T], *args: Any) -> T:
        """Run a pure worker function in the compute pool and return its result."""
        ...

    @property
    def calibrations(self) -> CalibrationStore:
        """The scope's append-only calibration store."""
        ...


class CalibrationStore(Protocol):
    """Append-only calibrations of one scope (DESIGN.md §4); 'current' = newest at or before now."""

    async def save(self, kind: str, snapshot: OpticsSnapshot, record: dict[str, Any]) -> int:
        """Append a calibration row of `kind` keyed by the snapshot's optics; return its id.

        Kinds: 'stigmator_response', 'lens_sweep', 'mag_profile', 'btid', 'aniso_mag',
        'pixel_size'.
        """
        ...

    async def current(
        self, kind: str, snapshot: OpticsSnapshot, same_mag_only: bool = False
    ) -> dict[str, Any] | None:
        """Return the newest calibration of `kind` for the snapshot's optics, or None.

        Without same_mag_only it falls back to the nearest magnification with the same HT and
        probe mode or alpha. The dict carries 'id', 'created_at', 'mag_index' and 'fallback'
        (bool) besides the record.
        """
        ...

    async def history(
        self, kind: str, limit: int = 30, snapshot: OpticsSnapshot | None = None
    ) -> list[dict[str, Any]]:
        """Return the newest calibrations of `kind` for this scope, newest first.

        With a snapshot, only those of its optics (HT, probe mode or alpha, and magnification
        for kinds keyed by it): a lens slope is only comparable with one taken the same way.
        """
        ...
