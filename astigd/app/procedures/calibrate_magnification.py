"""Calibrate pixel size and anisotropic magnification from a polycrystalline gold specimen.

At the current magnification, frames of a gold grid are acquired at a large defocus
(`defocus_nm`, 4 µm): there the CTF oscillates across each ring faster than a tile's periodogram
resolves, so the rings appear with the CTF averaged out (sin²χ → ½) and are not pulled by it,
whatever the astigmatism. Near focus a 10 nm defocus error or 25 nm of astigmatism moves χ at the
rings by a radian and biases the fit by 0.1 %. The Au(111) and Au(200) powder rings of the
frames' averaged power spectrum are located in azimuth sectors and fitted jointly as ellipses
(workers.gold_calibration). That gives the absolute pixel size (binning 1) and the anisotropic
magnification with 1σ uncertainties. Both are appended to the calibration store for this optics
key, after which every fit at this magnification uses them. Au(111) at 2.355 Å needs a pixel
size below 1.12 Å (Nyquist with a 5 % margin); Au(200) at 2.039 Å one below 0.97 Å. The focus
returns to where it started.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import announce
from astigd.app.procedures.moves import set_defocus
from astigd.app.procedures.optics import ANISO_KIND, PIXEL_SIZE_KIND
from astigd.app.procedures.params import Shots
from astigd.outputs.records import json_safe
from astigd.workers.gold_calibration import (
    GoldCalibration,
    RingsNotFoundError,
    calibrate_from_frames,
)
from astigd.workers.gold_rings import AU_111_A

NAME = "calibrate_magnification"
METHOD = "gold-rings"
NYQUIST_MARGIN = 0.95


class CalibrateMagnificationParams(Shots):
    """Parameters of `calibrate_magnification`."""

    frames: int = Field(4, ge=1, le=16)
    defocus_nm: float = Field(4000.0, ge=2500.0, le=8000.0)  # CTF averaged out at the rings
    box_px: int = Field(1024, ge=256, le=4096)
    sectors: int = Field(36, ge=12, le=180)
    max_pixel_size_sd_percent: float = Field(0.05, gt=0.0, le=5.0)
    max_anisotropy_sd_percent: float = Field(0.05, gt=0.0, le=5.0)


async def run(ctx: ProcedureContext, params: CalibrateMagnificationParams) -> dict[str, Any]:
    """Image gold, fit its rings, store pixel size and anisotropy, restore the focus."""
    await announce(ctx, NAME, params)
    snapshot = ctx.start_snapshot
    _check_sampling(snapshot.mag.pixel_size_A * params.binning)
    start_defocus_nm = await ctx.scope.get_defocus_nm()
    await set_defocus(ctx, params.defocus_nm, "image the gold rings")
    images, pixel_A = await _acquire(ctx, params)
    try:
        fitted = await ctx.compute(
            calibrate_from_frames, images, pixel_A, params.box_px, params.sectors
        )
    except RingsNotFoundError as error:
        raise ProcedureError(f"gold calibration failed: {error}") from None
    summary = _summary(fitted, params.binning, snapshot.mag.pixel_size_A)
    await ctx.emit("step", {"what": "gold rings fitted", **_headline(summary)})
    _gate(summary, params)
    ids = {
        "pixel_size_calibration_id": await ctx.calibrations.save(
            PIXEL_SIZE_KIND, snapshot, {**summary, "method": METHOD}
        ),
        "aniso_mag_calibration_id": await ctx.calibrations.save(
            ANISO_KIND, snapshot, {**summary, "method": METHOD, "n_frames": params.frames}
        ),
    }
    await set_defocus(ctx, start_defocus_nm, "return to the starting defocus")
    return json_safe({**summary, **ids, "mag_index": snapshot.mag.index,
                      "magnification": snapshot.mag.magnification, "method": METHOD})  # fmt: skip


def _check_sampling(pixel_A: float) -> None:
    """Refuse a magnification whose Nyquist frequency does not reach the Au(111) ring."""
    if pixel_A >= NYQUIST_MARGIN * AU_111_A / 2.0:
        raise ProcedureError(
            f"the pixel size {pixel_A:.3g} Å does not sample the Au(111) ring at 2.355 Å "
            f"(needs < {NYQUIST_MARGIN * AU_111_A / 2.0:.3g} Å): use a higher magnification"
        )


async def _acquire(ctx: ProcedureContext, params) -> tuple[list[np.ndarray], float]:
    """Acquire the frames, with a safe point before each; return them and their pixel size."""
    images, pixel_A = [], 0.0
    for index in range(params.frames):
        await ctx.checkpoint()
        frame = await ctx.scope.acquire(params.exposure_s, params.binning)
        images.append(np.asarray(frame.image, dtype=np.float32))
        pixel_A = frame.pixel_size_A
        await ctx.emit("step", {"what": "gold frame", "frame": index + 1, "of": params.frames})
    return images, pixel_A


def _summary(fitted: GoldCalibration, binning: int, nominal_A: float) -> dict[str, Any]:
    """Return the calibration at binning 1, with its uncertainties and the rings' points."""
    pixel_A, sd_A = fitted.pixel_size_A / binning, fitted.pixel_size_sd_A / binning
    return {
        "pixel_size_A": pixel_A,
        "pixel_size_uncertainty_A": sd_A,
        "nominal_pixel_size_A": nominal_A,
        "pixel_size_error_percent": 100.0 * (nominal_A / pixel_A - 1.0),
        "scale_major": fitted.scale_major,
        "scale_minor": fitted.scale_minor,
        "angle_deg": fitted.angle_deg,
        "angle_uncertainty_deg": fitted.angle_sd_deg,
        "anisotropy": fitted.anisotropy,
        "anisotropy_uncertainty": fitted.anisotropy_sd,
        "reduced_chi2": fitted.reduced_chi2,
        "binning": binning,
        "rings": fitted.rings,
    }


def _headline(summary: dict[str, Any]) -> dict[str, Any]:
    """Return the summary without the per-sector points."""
    return {key: value for key, value in summary.items() if key != "rings"}


def _gate(summary: dict[str, Any], params: CalibrateMagnificationParams) -> None:
    """Refuse to store a calibration whose uncertainties exceed the limits."""
    pixel_percent = 100.0 * summary["pixel_size_uncertainty_A"] / summary["pixel_size_A"]
    aniso_percent = 100.0 * summary["anisotropy_uncertainty"]
    if pixel_percent > params.max_pixel_size_sd_percent:
        raise ProcedureError(f"the pixel size is uncertain by {pixel_percent:.3f} % (limit "
                             f"{params.max_pixel_size_sd_percent} %): nothing stored")  # fmt: skip
    if aniso_percent > params.max_anisotropy_sd_percent:
        raise ProcedureError(f"the anisotropy is uncertain by {aniso_percent:.3f} % (limit "
                             f"{params.max_anisotropy_sd_percent} %): nothing stored")  # fmt: skip
