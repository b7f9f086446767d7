"""The optics a frame is fitted with: HT from the snapshot, Cs and calibrations from inventory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import Executor

import numpy as np

from astigd.app.core.inventory import OpticsDefaults
from astigd.drivers.records import Frame, OpticsSnapshot
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings
from astigd.workers.pool import fit_in_pool
from astigd.workers.results import CtfFit

FitFunction = Callable[[Frame, OpticsSnapshot], Awaitable[CtfFit]]


def optics_for(
    snapshot: OpticsSnapshot,
    defaults: OpticsDefaults | None,
    frame_pixel_size_A: float,
    binning: int = 1,
) -> tuple[Optics, AnisoMag | None]:
    """Return the fit's optics and the magnification's known anisotropy (None if not declared).

    kV comes from the snapshot, Cs and amplitude contrast from the scope's optics defaults. The
    pixel size is the inventory's calibrated one for this magnification (times the binning)
    when it has one, else the frame's.
    """
    defaults = defaults or OpticsDefaults()
    mag = defaults.at_mag(snapshot.mag.index)
    pixel_size_A = mag.pixel_size_A * binning if mag else frame_pixel_size_A
    optics = Optics(pixel_size_A, snapshot.ht_kv, defaults.cs_mm, defaults.amplitude_contrast)
    aniso = mag.aniso.to_aniso() if mag and mag.aniso else None
    return optics, aniso


def pool_fitter(
    executor: Executor, defaults: OpticsDefaults | None, settings: FitSettings | None = None
) -> FitFunction:
    """Return a fit function for ProcedureRuntime that fits frames in the compute pool."""

    async def fit(frame: Frame, snapshot: OpticsSnapshot) -> CtfFit:
        optics, aniso = optics_for(snapshot, defaults, frame.pixel_size_A, frame.binning)
        image = np.asarray(frame.image, dtype=np.float32)
        return await fit_in_pool(executor, image, optics, settings, aniso)

    return fit
