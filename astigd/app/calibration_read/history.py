"""Calibration history for dashboards: daily lens slope, stigmator responses, mag profiles."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.calibration_read.lens import response_of
from astigd.app.calibration_read.lookup import calibration_info, newest_per_key
from astigd.app.db.models import (
    LensSweep,
    MagnificationProfile,
    MagnificationProfilePoint,
    StigmatorCalibration,
)

LENS_DAY_FIELDS = (
    "date", "k_obj_nm_per_um", "k_obj_se_nm_per_um", "angle_deg", "angle_se_deg", "r_squared",
    "sweep_id", "created_at", "n_sweeps", "ht_kv", "mag_index", "probe_mode_or_alpha",
)  # fmt: skip


def lens_days(
    session: Session,
    scope_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    mag_index: int | None = None,
) -> list[dict[str, Any]]:
    """Return one row per UTC day with a lens sweep: that day's newest sweep, oldest day first."""
    query = select(LensSweep).where(LensSweep.scope_id == scope_id)
    if since is not None:
        query = query.where(LensSweep.created_at >= since)
    if until is not None:
        query = query.where(LensSweep.created_at <= until)
    if mag_index is not None:
        query = query.where(LensSweep.mag_index == mag_index)
    days: dict[str, dict[str, Any]] = {}
    for sweep in session.scalars(query.order_by(LensSweep.created_at, LensSweep.id)):
        day = sweep.created_at.date().isoformat()
        count = days[day]["n_sweeps"] + 1 if day in days else 1
        days[day] = {**_lens_day(sweep, day), "n_sweeps": count}
    return list(days.values())


def _lens_day(sweep: LensSweep, day: str) -> dict[str, Any]:
    return {
        "date": day,
        "k_obj_nm_per_um": sweep.k_magnitude_nm_per_um,
        "k_obj_se_nm_per_um": sweep.k_magnitude_se_nm_per_um,
        "angle_deg": sweep.k_angle_deg,
        "angle_se_deg": sweep.k_angle_se_deg,
        "r_squared": sweep.r_squared,
        "sweep_id": sweep.id,
        "created_at": sweep.created_at.isoformat(),
        "ht_kv": sweep.ht_kv,
        "mag_index": sweep.mag_index,
        "probe_mode_or_alpha": sweep.probe_mode_or_alpha,
    }


def latest_stigmator_calibrations(session: Session, scope_id: str) -> list[dict[str, Any]]:
    """Return the newest stigmator calibration per optics key, newest first."""
    rows = newest_per_key(session, StigmatorCalibration, scope_id)
    return [_stigmator(row) for row in rows]


def _stigmator(row: StigmatorCalibration) -> dict[str, Any]:
    response = response_of(row)
    angle = response.column_angle_deg
    return {
        **calibration_info("stigmator_response", row),
        "matrix_nm_per_unit": response.matrix_nm_per_unit.tolist(),
        "residual_rms_nm": row.residual_rms_nm,
        "condition_number": row.condition_number,
        "column_angle_deg": angle if math.isfinite(angle) else None,
        "n_probes": row.n_probes,
        "probe_step": row.probe_step,
        "defocus_nm": row.defocus_nm,
    }


def magnification_profiles(session: Session, scope_id: str, limit: int) -> list[dict[str, Any]]:
    """Return the newest magnification profiles of a scope with their points, newest first."""
    query = select(MagnificationProfile).where(MagnificationProfile.scope_id == scope_id)
    query = query.order_by(MagnificationProfile.created_at.desc(), MagnificationProfile.id.desc())
    return [_profile(session, row) for row in session.scalars(query.limit(limit))]


def _profile(session: Session, row: MagnificationProfile) -> dict[str, Any]:
    point = MagnificationProfilePoint
    query = select(point).where(point.profile_id == row.id).order_by(point.mag_index, point.id)
    points = [_profile_point(p) for p in session.scalars(query)]
    info = calibration_info("mag_profile", row)
    return {**info, "defocus_nm": row.defocus_nm, "n_points": row.n_points, "points": points}


PROFILE_POINT_STATISTICS = ("astig_rmsd_nm", "fitted_defocus_nm", "defocus_rmsd_nm", "n_frames",
                            "n_rejected", "direct_correction")  # fmt: skip


def _profile_point(point: MagnificationProfilePoint) -> dict[str, Any]:
    """Return a stored point; statistics added in revision 0005 are null on older points."""
    reemerged = (point.reemerged_x_nm, point.reemerged_y_nm)
    return {
        "mag_index": point.mag_index,
        "magnification": point.magnification,
        "astig_vec_nm": [point.astig_x_nm, point.astig_y_nm],
        "astig_nm": math.hypot(point.astig_x_nm, point.astig_y_nm),
        "astig_uncertainty_nm": point.astig_uncertainty_nm,
        **{name: getattr(point, name) for name in PROFILE_POINT_STATISTICS},
        "reemerged_vec_nm": None if None in reemerged else list(reemerged),
        "reemerged_nm": None if None in reemerged else math.hypot(*reemerged),
        "stig": [point.stig_x, point.stig_y],
        "measurement_id": point.measurement_id,
    }
