"""Advisor mode: the stigmator setting that cancels a live fit's astigmatism, Δs = −M⁻¹·A.

With a target defocus it is also moved along today's K to that defocus (dynamic compensation).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from astigd.app.calibration_read.compensation import CalibrationRefusedError, require_row
from astigd.app.calibration_read.lens import response_of, slope_of, usable_response
from astigd.app.calibration_read.lookup import OpticsWhere, age_h, calibration_info, illuminations
from astigd.app.db.models import LensSweep, StigmatorCalibration
from astigd.app.live.frames import FrameHeader
from astigd.workers.compensation import compensated_stigmators
from astigd.workers.results import CtfFit
from astigd.workers.stigmator_response import StigmatorResponse


def unavailable(reason: str) -> dict[str, Any]:
    """Return advice that cannot be given, and why."""
    return {"available": False, "reason": reason}


def header_illumination(header: FrameHeader) -> str | None:
    """Return the stored illumination text the header names, or None when it names none."""
    if header.probe_mode:
        return f"probe:{header.probe_mode.lower()}"
    return f"alpha:{header.alpha}" if header.alpha is not None else None


def advise(
    session: Session, header: FrameHeader, fit: CtfFit, ht_kv: float, max_age_h: float
) -> dict[str, Any]:
    """Return the recommended stigmators for this fit, or why there are none."""
    if not fit.reliable:
        return unavailable(f"the fit is unreliable ({fit.reason}): no advice on it")
    assert header.scope_id is not None and header.mag_index is not None
    where = OpticsWhere(header.scope_id, ht_kv, header.mag_index, header_illumination(header))
    if where.illumination is None:
        found = illuminations(session, StigmatorCalibration, where)
        if len(found) > 1:
            return unavailable(
                f"stigmator calibrations exist for several illuminations ({', '.join(found)}): "
                "give probe_mode or alpha in the header"
            )
    try:
        row = require_row(session, StigmatorCalibration, "stigmator", where, math.inf)
    except CalibrationRefusedError as refusal:
        return unavailable(refusal.reason)
    response = response_of(row)
    if not usable_response(response):
        return unavailable(f"stigmator calibration {row.id} is ill-conditioned: recalibrate")
    advice = _corrected(header, fit, response, calibration_info("stigmator_response", row))
    advice["stale"] = age_h(row) > max_age_h
    if header.target_defocus_nm is not None:
        target_nm = header.target_defocus_nm
        advice["compensated"] = _compensated(
            session, where, target_nm, advice, fit, response, max_age_h
        )
    return advice


def _corrected(header: FrameHeader, fit: CtfFit, response: StigmatorResponse, info: dict) -> dict:
    """Return the stigmators that cancel the fitted astigmatism at the fitted defocus."""
    step = response.stigmator_change_for(np.array([fit.astig_x_nm, fit.astig_y_nm]))
    return {
        "available": True,
        "stig_x": float(header.stig_x + step[0]),
        "stig_y": float(header.stig_y + step[1]),
        "delta_stig": step.tolist(),
        "at_defocus_nm": fit.defocus_mean_nm,
        "calibrations": [info],
    }


def _compensated(
    session: Session,
    where: OpticsWhere,
    target_nm: float,
    advice: dict,
    fit: CtfFit,
    response: StigmatorResponse,
    max_age_h: float,
) -> dict[str, Any]:
    """Return the advice moved to the target defocus along today's K, or why it cannot be."""
    try:
        sweep = require_row(session, LensSweep, "lens sweep", where, max_age_h)
    except CalibrationRefusedError as refusal:
        return unavailable(refusal.reason)
    here = np.array([advice["stig_x"], advice["stig_y"]])
    stig = compensated_stigmators(here, fit.defocus_mean_nm, target_nm, slope_of(sweep), response)
    return {
        "available": True,
        "target_defocus_nm": target_nm,
        "stig_x": float(stig[0]),
        "stig_y": float(stig[1]),
        "calibration": calibration_info("lens_sweep", sweep),
    }
