"""The stored stigmator response: record format, lookup, and refusal when it cannot be used."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import warn
from astigd.drivers.records import OpticsSnapshot
from astigd.workers.stigmator_response import MIN_COLUMN_ANGLE_DEG, StigmatorResponse

KIND = "stigmator_response"


def response_record(response: StigmatorResponse, **details: Any) -> dict[str, Any]:
    """Return the calibration record of a solved response (details: probes, steps, defocus)."""
    return {
        "matrix_nm_per_unit": response.matrix_nm_per_unit.tolist(),
        "residual_rms_nm": response.residual_rms_nm,
        "condition_number": response.condition_number,
        "n_probes": response.n_probes,
        **details,
    }


def response_from_record(record: dict[str, Any]) -> StigmatorResponse:
    """Return the StigmatorResponse a calibration record describes."""
    matrix = np.asarray(record["matrix_nm_per_unit"], dtype=float)
    if matrix.shape != (2, 2) or not np.isfinite(matrix).all():
        raise ProcedureError(f"stigmator calibration {record.get('id')} has no valid 2×2 matrix")
    residual = record.get("residual_rms_nm")
    return StigmatorResponse(
        matrix_nm_per_unit=matrix,
        offset_nm=np.zeros(2),
        residual_rms_nm=float(residual) if residual is not None else math.nan,
        n_probes=int(record.get("n_probes") or 0),
    )


def calibration_info(record: dict[str, Any]) -> dict[str, Any]:
    """Return which calibration was used: id, time, magnification and whether it fell back."""
    keys = ("id", "created_at", "mag_index", "fallback")
    return {key: record.get(key) for key in keys}


async def load_response(
    ctx: ProcedureContext, snapshot: OpticsSnapshot, quiet: bool = False
) -> tuple[StigmatorResponse, dict[str, Any]]:
    """Return the current response for the optics and its info; refuse if missing or unusable."""
    record = await ctx.calibrations.current(KIND, snapshot)
    if record is None:
        light = snapshot.illumination.probe_mode or f"alpha {snapshot.illumination.alpha}"
        raise ProcedureError(
            f"no stigmator calibration for {snapshot.ht_kv:g} kV, {light}: "
            "run calibrate_stigmators first"
        )
    response, info = response_from_record(record), calibration_info(record)
    _refuse_ill_conditioned(response, info)
    if record.get("fallback") and not quiet:
        message = (
            f"no stigmator calibration at magnification index {snapshot.mag.index}; using the "
            f"one from the nearest calibrated index, {record.get('mag_index')}"
        )
        await warn(ctx, message, calibration=info)
    return response, info


def _refuse_ill_conditioned(response: StigmatorResponse, info: dict[str, Any]) -> None:
    """Raise ProcedureError unless MX and MY act in clearly different directions."""
    if response.well_conditioned and math.isfinite(response.condition_number):
        return
    raise ProcedureError(
        f"stigmator calibration {info['id']} is ill-conditioned: MX and MY are "
        f"{response.column_angle_deg:.0f}° apart in doubled-angle space (need 90 ± "
        f"{90 - MIN_COLUMN_ANGLE_DEG:.0f}°); recalibrate before correcting"
    )
