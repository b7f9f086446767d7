"""Gold calibrations for dashboards: pixel-size and anisotropy history, and the ring points."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.calibration_read.lookup import calibration_info
from astigd.app.db.models import AnisoMagCalibration, Job, PixelSizeCalibration
from astigd.app.procedures.calibration_rows import ANISO_COLUMNS, PIXEL_SIZE_COLUMNS

KINDS = (("aniso_mag", AnisoMagCalibration, ANISO_COLUMNS),
         ("pixel_size", PixelSizeCalibration, PIXEL_SIZE_COLUMNS))  # fmt: skip


def magnification_calibrations(
    session: Session, scope_id: str, limit: int, mag_index: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return the newest anisotropy and pixel-size rows of a scope, newest first, by kind."""
    history = {}
    for kind, model, columns in KINDS:
        query = select(model).where(model.scope_id == scope_id)
        if mag_index is not None:
            query = query.where(model.mag_index == mag_index)
        query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit)
        history[kind] = [
            {**calibration_info(kind, row), **{name: getattr(row, name) for name in columns}}
            for row in session.scalars(query)
        ]
    return history


def gold_fit(session: Session, scope_id: str, calibration_id: int) -> dict[str, Any] | None:
    """Return the result of the job that made an anisotropy calibration (its ring points)."""
    row = session.get(AnisoMagCalibration, calibration_id)
    if row is None or row.scope_id != scope_id or row.job_id is None:
        return None
    job = session.get(Job, row.job_id)
    result = job.result if job else None
    return result if result and result.get("rings") else None
