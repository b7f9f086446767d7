"""Dynamic compensation from stored calibrations: s(df) for the current optics, or a refusal.

The reference is the lens sweep's: the stigmators it was taken at, corrected by the stored
astigmatism at its reference defocus (−M⁻¹·A_ref), then moved along today's K (DESIGN.md §1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from astigd.app.calibration_read.lens import (
    reference_astig_of,
    response_of,
    slope_of,
    sweep_stigmators,
    usable_response,
)
from astigd.app.calibration_read.lookup import OpticsWhere, age_h, calibration_info, newest
from astigd.app.db.base import utc_now
from astigd.app.db.models import LensSweep, StigmatorCalibration
from astigd.workers.compensation import compensated_stigmators
from astigd.workers.stigmator_response import StigmatorResponse


class CalibrationRefusedError(Exception):
    """A calibration is missing, stale, taken elsewhere or unusable; `reason` says which."""

    def __init__(self, reason: str, code: str) -> None:
        """Keep the reason (for people) and a short code (for programs)."""
        super().__init__(reason)
        self.reason, self.code = reason, code


@dataclass(frozen=True)
class Current:
    """The calibrations compensation uses, checked: response, sweep and sweep stigmators."""

    response_row: StigmatorCalibration
    response: StigmatorResponse
    sweep: LensSweep
    sweep_stig: tuple[float, float]


def require_row(session: Session, model: type, kind: str, where: OpticsWhere, max_age_h: float):
    """Return the current row at exactly this magnification; refuse missing, other-mag, stale."""
    row = newest(session, model, where)
    if row is None:
        elsewhere = newest(session, model, where.any_mag())
        if elsewhere is not None:
            raise CalibrationRefusedError(
                f"the newest {kind} calibration for {where.any_mag().describe()} was taken at "
                f"magnification index {elsewhere.mag_index} (id {elsewhere.id}), not at "
                f"{where.mag_index}: calibrate at this magnification",
                "other_magnification",
            )
        raise CalibrationRefusedError(f"no {kind} calibration for {where.describe()}", "missing")
    age = age_h(row)
    if age > max_age_h:
        raise CalibrationRefusedError(
            f"{kind} calibration {row.id} is {age:.1f} h old (limit {max_age_h:g} h): recalibrate",
            "stale",
        )
    return row


def current_calibrations(session: Session, where: OpticsWhere, max_age_h: float) -> Current:
    """Return the checked stigmator calibration and lens sweep for an optical state."""
    response_row = require_row(session, StigmatorCalibration, "stigmator", where, max_age_h)
    response = response_of(response_row)
    if not usable_response(response):
        raise CalibrationRefusedError(
            f"stigmator calibration {response_row.id} is ill-conditioned "
            f"(MX and MY {response.column_angle_deg:.0f}° apart, need about 90°)",
            "ill_conditioned",
        )
    sweep = require_row(session, LensSweep, "lens sweep", where, max_age_h)
    stig = sweep_stigmators(session, sweep)
    if stig is None:
        raise CalibrationRefusedError(
            f"lens sweep {sweep.id} has no record of the stigmators it was taken at", "no_reference"
        )
    return Current(response_row, response, sweep, stig)


def compensation(current: Current, defocus_nm: float, now: datetime | None = None) -> dict:
    """Return the stigmator setting for a defocus, with its reference and calibrations."""
    now = now or utc_now()
    sweep, response = current.sweep, current.response
    astig_ref = np.array(reference_astig_of(sweep))
    reference = np.array(current.sweep_stig) + response.stigmator_change_for(astig_ref)
    target = compensated_stigmators(
        reference, sweep.reference_defocus_nm, defocus_nm, slope_of(sweep), response
    )
    drift = np.array(slope_of(sweep)) * (defocus_nm - sweep.reference_defocus_nm) / 1000.0
    return {
        "defocus_nm": defocus_nm,
        "stig_x": float(target[0]),
        "stig_y": float(target[1]),
        "reference": _reference(sweep, current.sweep_stig, reference, astig_ref),
        "uncompensated_astig_nm": float(math.hypot(*drift)),
        "calibrations": [
            calibration_info("stigmator_response", current.response_row, now),
            calibration_info("lens_sweep", sweep, now),
        ],
    }


def _reference(sweep: LensSweep, sweep_stig, corrected, astig_ref) -> dict[str, Any]:
    return {
        "defocus_nm": sweep.reference_defocus_nm,
        "sweep_stig": list(sweep_stig),
        "astig_ref_vec_nm": astig_ref.tolist(),
        "corrected_stig": corrected.tolist(),
        "k_obj_nm_per_um": sweep.k_magnitude_nm_per_um,
        "k_angle_deg": sweep.k_angle_deg,
        "slope_nm_per_um": list(slope_of(sweep)),
    }
