"""The optics a frame is fitted with: HT from the snapshot, Cs and calibrations from inventory.

A gold calibration stored for the frame's magnification (kinds 'pixel_size' and 'aniso_mag',
see calibrate_magnification) takes precedence over the inventory's pixel size and anisotropy;
the fit's parameters then name the calibration rows it used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import numpy as np

from astigd.app.core.inventory import OpticsDefaults
from astigd.app.procedures.context import CalibrationStore
from astigd.drivers.records import Frame, OpticsSnapshot
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings
from astigd.workers.pool import fit_in_pool
from astigd.workers.results import CtfFit

FitFunction = Callable[[Frame, OpticsSnapshot], Awaitable[CtfFit]]
ANISO_KIND, PIXEL_SIZE_KIND = "aniso_mag", "pixel_size"
Stored = dict[str, dict[str, Any] | None]


def optics_for(
    snapshot: OpticsSnapshot,
    defaults: OpticsDefaults | None,
    frame_pixel_size_A: float,
    binning: int = 1,
    stored: Stored | None = None,
) -> tuple[Optics, AnisoMag | None]:
    """Return the fit's optics and the magnification's known anisotropy (None if not declared).

    kV comes from the snapshot, Cs and amplitude contrast from the scope's optics defaults. The
    pixel size is the stored calibration's for this magnification, else the inventory's (times
    the binning), else the frame's; the anisotropy likewise.
    """
    defaults, stored = defaults or OpticsDefaults(), stored or {}
    mag = defaults.at_mag(snapshot.mag.index)
    pixel_size_A = mag.pixel_size_A * binning if mag else frame_pixel_size_A
    if stored.get(PIXEL_SIZE_KIND):
        pixel_size_A = stored[PIXEL_SIZE_KIND]["pixel_size_A"] * binning
    optics = Optics(pixel_size_A, snapshot.ht_kv, defaults.cs_mm, defaults.amplitude_contrast)
    aniso = mag.aniso.to_aniso() if mag and mag.aniso else None
    if stored.get(ANISO_KIND):
        row = stored[ANISO_KIND]
        aniso = AnisoMag(row["scale_major"], row["scale_minor"], row["angle_deg"])
    return optics, aniso


async def stored_calibrations(
    calibrations: CalibrationStore | None, snapshot: OpticsSnapshot
) -> Stored:
    """Return the current gold calibrations at this HT and magnification (None where absent).

    The store looks them up as uploads do (db.calibrations.current_gold_calibration): any probe
    mode or alpha.
    """
    if calibrations is None:
        return {}
    return {
        kind: await calibrations.current(kind, snapshot, same_mag_only=True)
        for kind in (PIXEL_SIZE_KIND, ANISO_KIND)
    }


def calibration_ids(stored: Stored) -> dict[str, int | None]:
    """Return the ids of the stored calibrations a fit used, by kind."""
    return {f"{kind}_calibration_id": (row or {}).get("id") for kind, row in stored.items()}


def pool_fitter(
    executor: Executor,
    defaults: OpticsDefaults | None,
    settings: FitSettings | None = None,
    calibrations: CalibrationStore | None = None,
) -> FitFunction:
    """Return a fit function for ProcedureRuntime that fits frames in the compute pool."""

    async def fit(frame: Frame, snapshot: OpticsSnapshot) -> CtfFit:
        stored = await stored_calibrations(calibrations, snapshot)
        optics, aniso = optics_for(snapshot, defaults, frame.pixel_size_A, frame.binning, stored)
        image = np.asarray(frame.image, dtype=np.float32)
        result = await fit_in_pool(executor, image, optics, settings, aniso)
        if not stored:
            return result
        return replace(result, parameters={**result.parameters, **calibration_ids(stored)})

    return fit
