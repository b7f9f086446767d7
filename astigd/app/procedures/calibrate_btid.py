"""Calibrate BTID at the current magnification and probe mode or alpha (docs/btid.md).

G (image shift per mrad of beam tilt, from ± tilt pairs in several directions) is measured at
the reference state, at defocus ± δ (the focus response ∂G/∂df) and at each stigmator ± ε (the
stigmator responses ∂G/∂s). The reference's defocus and astigmatism come from a gated CTF fit
(`reference: ctf`), or are declared (`reference: corrected`: astigmatism corrected, defocus as
the scope reports it). The row is appended to the store; focus, stigmators and beam tilt return
to where they started.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from astigd.app.procedures import btid_calibration
from astigd.app.procedures.btid_measure import BtidMeasurement, BtidSettings, measure_g
from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import announce, fit_dict
from astigd.app.procedures.measure import astig_vector, measure, refuse_unless_reliable
from astigd.app.procedures.moves import move_stigmator, set_defocus
from astigd.app.procedures.params import AveragedShots, underfocus_nm
from astigd.outputs.records import json_safe
from astigd.workers.btid import stigmator_matrix
from astigd.workers.stigmator_response import MIN_COLUMN_ANGLE_DEG, StigmatorResponse

NAME = "calibrate_btid"


class CalibrateBtidParams(BtidSettings):
    """Parameters of `calibrate_btid` (steps: nm of defocus, normalized stigmator units)."""

    defocus_nm: float | None = underfocus_nm()  # calibrate here, then return; default: as is
    focus_step_nm: float = Field(500.0, ge=100.0, le=2000.0)
    stig_step: float = Field(0.1, ge=0.01, le=0.2)
    reference: Literal["ctf", "corrected"] = "ctf"
    reference_frames: int = Field(4, ge=1, le=16)


async def run(ctx: ProcedureContext, params: CalibrateBtidParams) -> dict[str, Any]:
    """Measure G and its responses, store the calibration, restore focus and stigmators."""
    await announce(ctx, NAME, params)
    start_defocus_nm = await ctx.scope.get_defocus_nm()
    if params.defocus_nm is not None:
        await set_defocus(ctx, params.defocus_nm, "calibrate BTID at the requested defocus")
    snapshot = await ctx.scope.snapshot()
    stig = np.array([snapshot.stig_x, snapshot.stig_y])
    reference = await _reference(ctx, params, snapshot.defocus_nm)
    centre = await _reliable(ctx, params, "reference")
    focus = await _focus_response(ctx, params, snapshot.defocus_nm)
    shifts = [await _stig_response(ctx, params, stig, axis) for axis in (0, 1)]
    record = _record(params, reference, stig, centre, focus, shifts)
    calibration_id = await ctx.calibrations.save(btid_calibration.KIND, snapshot, record)
    await set_defocus(ctx, start_defocus_nm, "return to the starting defocus")
    return json_safe({**record, "calibration_id": calibration_id, "mag_index": snapshot.mag.index})


async def _reference(ctx, params: CalibrateBtidParams, defocus_nm: float) -> dict[str, Any]:
    """Return the reference state's defocus and astigmatism: fitted, or declared corrected."""
    if params.reference == "corrected":
        return {"reference_defocus_nm": defocus_nm, "reference_astig_x_nm": 0.0,
                "reference_astig_y_nm": 0.0, "reference_astig_uncertainty_nm": None}  # fmt: skip
    shots = AveragedShots(exposure_s=params.exposure_s, binning=params.binning,
                          frames=params.reference_frames)  # fmt: skip
    fit = await measure(ctx, shots, "BTID reference (CTF)")
    refuse_unless_reliable(fit, "the CTF fit of the BTID reference")
    vector = astig_vector(fit)
    return {"reference_defocus_nm": fit.defocus_mean_nm, "reference_astig_x_nm": vector[0],
            "reference_astig_y_nm": vector[1],
            "reference_astig_uncertainty_nm": fit.astig_uncertainty_nm,
            "reference_fit": fit_dict(fit)}  # fmt: skip


async def _reliable(ctx, params: BtidSettings, what: str) -> BtidMeasurement:
    """Measure G and refuse when a correlation peak is not trusted."""
    measured = await measure_g(ctx, params, what)
    if not measured.reliable:
        weakest = min(peak.peak_sigmas for peak in measured.peaks)
        raise ProcedureError(f"BTID {what}: a correlation peak is only {weakest:.1f} σ above "
                             "the background; use a fixed specimen area with more contrast "
                             "(more defocus, longer exposure)")  # fmt: skip
    return measured


async def _focus_response(ctx, params: CalibrateBtidParams, defocus_nm: float) -> np.ndarray:
    """Return ∂G/∂df (per nm) from defocus ± δ, and go back to the defocus."""
    step = params.focus_step_nm
    await set_defocus(ctx, defocus_nm + step, "BTID focus response (+)")
    plus = await _reliable(ctx, params, f"defocus +{step:.0f} nm")
    await set_defocus(ctx, defocus_nm - step, "BTID focus response (−)")
    minus = await _reliable(ctx, params, f"defocus −{step:.0f} nm")
    await set_defocus(ctx, defocus_nm, "back to the BTID reference defocus")
    return (plus.matrix_per_binning1() - minus.matrix_per_binning1()) / (2.0 * step)


async def _stig_response(ctx, params: CalibrateBtidParams, stig, axis: int) -> np.ndarray:
    """Return ∂G/∂s on one axis (per unit) from ± ε, and go back to the stigmators."""
    step = params.stig_step * np.eye(2)[axis]
    name = "xy"[axis]
    await move_stigmator(ctx, stig + step, f"BTID stigmator response (+{name})")
    plus = await _reliable(ctx, params, f"stig_{name} +{params.stig_step}")
    await move_stigmator(ctx, stig - step, f"BTID stigmator response (−{name})")
    minus = await _reliable(ctx, params, f"stig_{name} −{params.stig_step}")
    await move_stigmator(ctx, stig, "back to the BTID reference stigmators")
    return (plus.matrix_per_binning1() - minus.matrix_per_binning1()) / (2.0 * params.stig_step)


def _record(params, reference, stig, centre: BtidMeasurement, focus, shifts) -> dict[str, Any]:
    """Return the calibration record; refuse a focus or stigmator response that cannot be used."""
    if abs(np.linalg.det(focus)) <= 0 or np.linalg.cond(focus) > 10.0:
        raise ProcedureError("the BTID focus response is degenerate: the shifts did not follow "
                             "the defocus in both axes")  # fmt: skip
    astig = stigmator_matrix(shifts, focus)
    response = StigmatorResponse(astig, np.zeros(2), 0.0, 4)
    if not response.well_conditioned:
        raise ProcedureError(f"the BTID stigmator response is ill-conditioned: MX and MY are "
                             f"{response.column_angle_deg:.0f}° apart (need 90 ± "
                             f"{90 - MIN_COLUMN_ANGLE_DEG:.0f}°)")  # fmt: skip
    matrices = {
        "g_reference": centre.matrix_per_binning1().tolist(),
        "focus_response": focus.tolist(),
        "stigmator_shift_responses": [shift.tolist() for shift in shifts],
        "astig_response_nm_per_unit": astig.tolist(),
    }
    return {
        **reference,
        **matrices,
        "reference_method": params.reference,
        "tilt_mrad": params.tilt_mrad,
        "n_directions": params.directions,
        "reference_stig_x": float(stig[0]),
        "reference_stig_y": float(stig[1]),
        "focus_step_nm": params.focus_step_nm,
        "stig_step": params.stig_step,
        "residual_rms_px": centre.shift.residual_rms_px,
    }
