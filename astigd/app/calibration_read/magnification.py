"""Gold calibrations and Cs checks for dashboards: pixel size, anisotropy, rings, checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from astigd.app.calibration_read.lookup import HistoryWindow, calibration_info, history_rows
from astigd.app.db.models import AnisoMagCalibration, Job, PixelSizeCalibration, PixelSizeCheck
from astigd.app.procedures.calibration_rows import (
    ANISO_COLUMNS,
    PIXEL_SIZE_CHECK_COLUMNS,
    PIXEL_SIZE_COLUMNS,
)

KINDS = (("aniso_mag", AnisoMagCalibration, ANISO_COLUMNS),
         ("pixel_size", PixelSizeCalibration, PIXEL_SIZE_COLUMNS))  # fmt: skip


def _listed(
    session: Session, scope_id: str, kind: str, model: type, columns: tuple[str, ...], window
) -> list[dict[str, Any]]:
    """Return the rows of a kind in the window as dicts: calibration info and columns."""
    return [
        {**calibration_info(kind, row), **{name: getattr(row, name) for name in columns}}
        for row in history_rows(session, model, scope_id, window)
    ]


def magnification_calibrations(
    session: Session, scope_id: str, limit: int, mag_index: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return the newest anisotropy and pixel-size rows of a scope, newest first, by kind."""
    window = HistoryWindow(limit, mag_index)
    return {
        kind: _listed(session, scope_id, kind, model, columns, window)
        for kind, model, columns in KINDS
    }


def pixel_size_checks(
    session: Session, scope_id: str, window: HistoryWindow
) -> list[dict[str, Any]]:
    """Return the scope's Cs/pixel-size checks in the window, newest first."""
    columns = PIXEL_SIZE_CHECK_COLUMNS
    return _listed(session, scope_id, "pixel_size_check", PixelSizeCheck, columns, window)


def gold_fit(session: Session, scope_id: str, calibration_id: int) -> dict[str, Any] | None:
    """Return the result of the job that made an anisotropy calibration (its ring points)."""
    row = session.get(AnisoMagCalibration, calibration_id)
    if row is None or row.scope_id != scope_id or row.job_id is None:
        return None
    job = session.get(Job, row.job_id)
    result = job.result if job else None
    return result if result and result.get("rings") else None
