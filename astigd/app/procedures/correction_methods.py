"""How the correction loop measures: by CTF fit, by BTID, or by CTF falling back to BTID.

`auto` takes a CTF fit first and keeps the CTF when it is reliable and precise enough to confirm
the tolerance; otherwise (weak Thon rings, e.g. at low magnification) it measures by BTID.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from astigd.app.procedures.btid_calibration import estimate, load_btid
from astigd.app.procedures.btid_measure import BtidSettings, measure_g
from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.events import fit_dict, warn
from astigd.app.procedures.measure import measure
from astigd.app.procedures.params import CorrectionSettings
from astigd.app.procedures.stigmator_calibration import load_response
from astigd.drivers.records import Frame, OpticsSnapshot
from astigd.workers.results import CtfFit
from astigd.workers.stigmator_response import StigmatorResponse

Method = Literal["ctf", "btid", "auto"]
Measurer = Callable[[str], Awaitable[CtfFit]]
FAR_FROM_REFERENCE_NM = 1000.0  # beyond this the BTID estimate leans on the lens slope K


@dataclass(frozen=True)
class Measuring:
    """The method in use, how it measures, its stigmator response and the first measurement."""

    method: str
    measurer: Measurer
    response: StigmatorResponse
    calibration: dict[str, Any]
    first: CtfFit


async def start_measuring(
    ctx: ProcedureContext, settings: CorrectionSettings, snapshot: OpticsSnapshot, method: Method,
    tolerance_nm: float,
) -> Measuring:  # fmt: skip
    """Choose the method, take the first measurement and return how to go on measuring."""
    if method == "btid":
        return await _btid(ctx, settings, snapshot, tolerance_nm)
    by_ctf = _ctf(ctx, settings, tolerance_nm)
    if method == "ctf":
        response, info = await load_response(ctx, snapshot)
        return Measuring("ctf", by_ctf, response, info, await by_ctf("initial"))
    first = await by_ctf("initial (CTF)")
    why = _ctf_unusable(first, tolerance_nm, settings)
    if why is None:
        response, info = await load_response(ctx, snapshot)
        return Measuring("ctf", by_ctf, response, info, first)
    await warn(ctx, f"auto: {why}; measuring by BTID instead", method="btid")
    return await _btid(ctx, settings, snapshot, tolerance_nm)


def _ctf_unusable(fit: CtfFit, tolerance_nm: float, settings: CorrectionSettings) -> str | None:
    """Return why a CTF fit cannot steer this correction, or None."""
    if not fit.reliable:
        return f"the CTF fit is unreliable ({fit.reason})"
    if settings.confidence_sigmas * fit.astig_uncertainty_nm >= tolerance_nm:
        return (f"the CTF fit's uncertainty ({fit.astig_uncertainty_nm:.1f} nm) cannot confirm "
                f"the tolerance of {tolerance_nm:.1f} nm")  # fmt: skip
    return None


def _ctf(ctx: ProcedureContext, settings: CorrectionSettings, tolerance_nm: float) -> Measurer:
    async def by_ctf(what: str) -> CtfFit:
        return await measure(ctx, settings, what, tolerance_nm=tolerance_nm)

    return by_ctf


async def _btid(
    ctx, settings: CorrectionSettings, snapshot: OpticsSnapshot, tolerance_nm: float
) -> Measuring:
    """Load the BTID calibration and take the first BTID measurement."""
    calibration = await load_btid(ctx, snapshot)
    shots = calibration.settings(BtidSettings(exposure_s=settings.exposure_s,
                                              binning=settings.binning))  # fmt: skip

    async def by_btid(what: str) -> CtfFit:
        measured = await measure_g(ctx, shots, what)
        fit = await _recorded(ctx, estimate(measured, calibration), measured.frame)
        await ctx.emit("fit", {"what": what, "method": "btid", **fit_dict(fit),
                               "tolerance_nm": tolerance_nm})  # fmt: skip
        return fit

    first = await by_btid("initial (BTID)")
    change_nm = first.parameters["defocus_change_from_reference_nm"]
    if abs(change_nm) > FAR_FROM_REFERENCE_NM and calibration.slope_info is None:
        await warn(ctx, f"the defocus is {change_nm:+.0f} nm from the BTID calibration's and no "
                        "lens sweep gives the lens slope: the astigmatism estimate may be off "
                        "by K·Δdf; calibrate BTID nearer this defocus")  # fmt: skip
    return Measuring("btid", by_btid, calibration.response(), calibration.info(), first)


async def _recorded(ctx: ProcedureContext, fit: CtfFit, frame: Frame) -> CtfFit:
    """Store a BTID estimate as a measurement; return it naming its row, as averaged fits do."""
    measurement_id = await ctx.record(fit, frame)
    return replace(fit, parameters={**fit.parameters, "measurement_ids": [measurement_id]})
