"""The newest defocus sweep of a scope, with its points and per-step statistics (Fig. 2)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.calibration_read.lookup import calibration_info
from astigd.app.db.models import LensSweep, LensSweepPoint, Measurement
from astigd.workers.lens_slope import per_step_statistics


def latest_lens_sweep(
    session: Session, scope_id: str, mag_index: int | None = None
) -> dict[str, Any] | None:
    """Return the scope's newest lens sweep (at a magnification index if given), or None."""
    query = select(LensSweep).where(LensSweep.scope_id == scope_id)
    if mag_index is not None:
        query = query.where(LensSweep.mag_index == mag_index)
    row = session.scalars(query.order_by(LensSweep.created_at.desc(), LensSweep.id.desc())).first()
    if row is None:
        return None
    points = _points(session, row.id)
    return {**calibration_info("lens_sweep", row), **_slope(row), "points": points,
            "steps": _steps(points)}  # fmt: skip


def _slope(row: LensSweep) -> dict[str, Any]:
    return {
        "k_obj_nm_per_um": row.k_magnitude_nm_per_um,
        "k_obj_se_nm_per_um": row.k_magnitude_se_nm_per_um,
        "angle_deg": row.k_angle_deg,
        "angle_se_deg": row.k_angle_se_deg,
        "slope_nm_per_um": [row.k_x_nm_per_um, row.k_y_nm_per_um],
        "r_squared": row.r_squared,
        "reference_defocus_nm": row.reference_defocus_nm,
        "astig_ref_nm": [row.astig_ref_x_nm, row.astig_ref_y_nm],
        "defocus_min_nm": row.defocus_min_nm,
        "defocus_max_nm": row.defocus_max_nm,
        "n_points": row.n_points,
    }


def _points(session: Session, sweep_id: int) -> list[dict[str, Any]]:
    """Return the sweep's frames: fitted and commanded defocus, vector, magnitude and angle."""
    query = (
        select(LensSweepPoint, Measurement.optics)
        .outerjoin(Measurement, LensSweepPoint.measurement_id == Measurement.id)
        .where(LensSweepPoint.sweep_id == sweep_id)
        .order_by(LensSweepPoint.id)
    )
    return [_point(point, optics) for point, optics in session.execute(query)]


def _point(point: LensSweepPoint, optics: dict[str, Any] | None) -> dict[str, Any]:
    commanded = (optics or {}).get("defocus_nm")
    angle = 0.5 * math.degrees(math.atan2(point.astig_y_nm, point.astig_x_nm)) % 180.0
    return {
        "defocus_nm": point.defocus_nm,
        "commanded_defocus_nm": commanded if commanded is not None else point.defocus_nm,
        "astig_vec_nm": [point.astig_x_nm, point.astig_y_nm],
        "astig_nm": math.hypot(point.astig_x_nm, point.astig_y_nm),
        "angle_deg": angle,
        "astig_uncertainty_nm": point.astig_uncertainty_nm,
        "measurement_id": point.measurement_id,
    }


def _steps(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return each commanded step's mean vector, its magnitude and the RMSD about the mean."""
    if not points:
        return []
    commanded = np.array([p["commanded_defocus_nm"] for p in points])
    vectors = np.array([p["astig_vec_nm"] for p in points])
    steps = per_step_statistics(commanded, vectors)
    for step in steps:
        step["astig_nm"] = math.hypot(step["astig_x_nm"], step["astig_y_nm"])
    return steps
