"""Measure G: image shifts between frames taken at ± beam tilts about the current tilt.

Every tilt is a guarded, audited driver move; the tilt found at the start is set back before
returning, also when a frame or a move fails or the job is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from pydantic import Field

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.params import ProcedureParams
from astigd.drivers.records import Frame
from astigd.workers.btid import ShiftMatrix, fit_shift_matrix, tilt_directions
from astigd.workers.image_shift import ImageShift, measure_shift


class BtidSettings(ProcedureParams):
    """How BTID frames are taken: tilt magnitude, directions, exposure and binning."""

    tilt_mrad: float = Field(5.0, gt=0.0, le=10.0)
    directions: int = Field(4, ge=2, le=8)
    exposure_s: float = Field(1.0, gt=0.0, le=60.0)
    binning: int = Field(1, ge=1, le=8)


@dataclass(frozen=True)
class BtidMeasurement:
    """G with its fit, the per-direction cross-correlation peaks and one of its frames."""

    shift: ShiftMatrix
    peaks: tuple[ImageShift, ...]
    binning: int
    frame: Frame = field(repr=False)  # its optics carry the beam tilt as found: what G describes

    @property
    def reliable(self) -> bool:
        """Return whether every correlation peak was trusted."""
        return all(peak.reliable for peak in self.peaks)

    @property
    def score(self) -> float:
        """Return the weakest normalized correlation of the pairs (0..1)."""
        return min(peak.correlation for peak in self.peaks)

    def matrix_per_binning1(self) -> np.ndarray:
        """Return G in unbinned pixels, so calibrations hold at any binning."""
        return self.shift.matrix * self.binning

    def summary(self) -> dict:
        """Return a JSON-ready view for events."""
        return {
            "g_px_per_mrad": self.matrix_per_binning1().tolist(),
            "residual_rms_px": self.shift.residual_rms_px,
            "peak_sigmas": [peak.peak_sigmas for peak in self.peaks],
            "correlation": [peak.correlation for peak in self.peaks],
            "reliable": self.reliable,
        }


async def measure_g(ctx: ProcedureContext, settings: BtidSettings, what: str) -> BtidMeasurement:
    """Tilt ± in each direction, measure the shifts, return G; the tilt is always set back."""
    scope = ctx.scope
    start = np.array(await scope.get_beam_tilt_mrad())
    tilts = tilt_directions(settings.directions, settings.tilt_mrad)
    peaks, first = [], None
    try:
        for tilt in tilts:
            await ctx.checkpoint()
            plus = await _frame_at(ctx, settings, start + tilt)
            minus = await _frame_at(ctx, settings, start - tilt)
            peaks.append(measure_shift(_pixels(minus), _pixels(plus)))
            first = plus if first is None else first
    finally:
        await scope.set_beam_tilt_mrad(*start)
    differences = np.array([[p.shift_x_px, p.shift_y_px] for p in peaks])
    shift = fit_shift_matrix(tilts, differences)
    result = BtidMeasurement(shift, tuple(peaks), settings.binning, _untilted(first, start))
    await ctx.emit("step", {"what": f"BTID {what}", **result.summary()})
    return result


async def _frame_at(ctx: ProcedureContext, settings: BtidSettings, tilt: np.ndarray) -> Frame:
    """Set a beam tilt and return a frame taken there."""
    await ctx.scope.set_beam_tilt_mrad(float(tilt[0]), float(tilt[1]))
    return await ctx.scope.acquire(settings.exposure_s, settings.binning)


def _pixels(frame: Frame) -> np.ndarray:
    """Return a frame's image as float32."""
    return np.asarray(frame.image, dtype=np.float32)


def _untilted(frame: Frame, tilt_mrad: np.ndarray) -> Frame:
    """Return the frame with the beam tilt of its optics set back to the one found at the start."""
    tilt = (float(tilt_mrad[0]), float(tilt_mrad[1]))
    return replace(frame, optics=replace(frame.optics, beam_tilt_mrad=tilt))
