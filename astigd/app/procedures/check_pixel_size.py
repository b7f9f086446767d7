"""Check pixel size against Cs: fit Cs as a free parameter over a defocus series.

At each defocus of the series a frame is acquired and fitted as usual (Cs fixed, recorded as a
measurement); the frames are then fitted jointly with Cs free (workers.cs_consistency). A Cs
that only fits far from nominal signals a pixel-size error: the implied error is
(Cs_fit/Cs_nominal)^(1/4) − 1, and with Cs fixed it biases every fitted defocus by
(1 + error)² − 1. The check is flagged when the implied error exceeds `flag_percent`. Every
check is appended to the calibration store (kind `pixel_size_check`, keyed by the optics at the
start), flagged or not; the live fit never frees Cs. The focus returns to where it started.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import announce, fit_dict
from astigd.app.procedures.moves import set_defocus
from astigd.app.procedures.params import Shots, underfocus_nm
from astigd.outputs.records import json_safe
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.cs_consistency import CsConsistency, check_cs
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings

NAME = "check_pixel_size"
CHECK_KIND = "pixel_size_check"


class CheckPixelSizeParams(Shots):
    """Parameters of `check_pixel_size`."""

    exposure_s: float = Field(10.0, gt=0.0, le=60.0)  # 200 e/Å²: rings to high resolution
    defoci_nm: tuple[Annotated[float, underfocus_nm(...)], ...] = Field(
        (400.0, 600.0, 800.0, 1000.0, 1200.0), min_length=2, max_length=12
    )
    max_res_A: float = Field(2.6, ge=1.0, le=10.0)
    flag_percent: float = Field(0.5, gt=0.0, le=10.0)


async def run(ctx: ProcedureContext, params: CheckPixelSizeParams) -> dict[str, Any]:
    """Acquire the series, fit Cs free jointly, report the implied pixel-size error."""
    await announce(ctx, NAME, params)
    start_defocus_nm = await ctx.scope.get_defocus_nm()
    images, fits = [], []
    for defocus_nm in params.defoci_nm:
        await set_defocus(ctx, defocus_nm, "defocus series for the Cs check")
        fit, frames = await ctx.acquire_and_fit(params.exposure_s, params.binning)
        await ctx.emit("fit", {"what": f"series {defocus_nm:.0f} nm", **fit_dict(fit)})
        images.append(np.asarray(frames[0].image, dtype=np.float32))
        fits.append(fit)
    await set_defocus(ctx, start_defocus_nm, "return to the starting defocus")
    reliable = [fit for fit in fits if fit.reliable]
    if not reliable:
        raise ProcedureError("no frame of the series could be fitted; nothing to check")
    optics, aniso = _fit_optics(reliable[0].parameters)
    settings = FitSettings(max_res_A=params.max_res_A)
    try:
        result = await ctx.compute(check_cs, images, optics, settings, aniso)
    except ValueError as error:
        raise ProcedureError(f"the Cs-free fit failed: {error}") from None
    record = _report(result, params, optics.pixel_size_A / params.binning)
    check_id = await ctx.calibrations.save(CHECK_KIND, ctx.start_snapshot, record)
    return json_safe({**record, "pixel_size_check_id": check_id})


def _report(result: CsConsistency, params: CheckPixelSizeParams, pixel_A: float) -> dict:
    """Return the check's record: the Cs fit, implied error, defocus bias, flag and series."""
    error_percent = 100.0 * result.pixel_size_error
    scale = 1.0 - 1.0 / (1.0 + result.defocus_bias_fraction)  # fitted − true, per fitted nm
    bias = float(np.mean(result.frame_defocus_nm)) * scale
    return {
        **asdict(result),
        "pixel_size_error_percent": error_percent,
        "pixel_size_error_sd_percent": 100.0 * result.pixel_size_error_sd,
        "defocus_bias_nm_at_mean": bias,
        "flagged": abs(error_percent) > params.flag_percent,
        "flag_percent": params.flag_percent,
        "defoci_nm": list(params.defoci_nm),
        "pixel_size_A": pixel_A,
    }


def _fit_optics(parameters: dict[str, Any]) -> tuple[Optics, AnisoMag | None]:
    """Return the optics and anisotropy the live fit used (pixel size, Cs, calibrations)."""
    optics = Optics(**parameters["optics"])
    aniso = parameters.get("aniso")
    return optics, AnisoMag(**aniso) if aniso else None
