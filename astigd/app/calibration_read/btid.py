"""BTID calibration history for dashboards: every row of a scope, newest first."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.calibration_read.lookup import calibration_info
from astigd.app.db.models import BtidCalibration
from astigd.app.procedures.calibration_rows import BTID_COLUMNS


def btid_history(
    session: Session, scope_id: str, limit: int, mag_index: int | None = None
) -> list[dict[str, Any]]:
    """Return the newest BTID calibrations of a scope (at one magnification if given)."""
    query = select(BtidCalibration).where(BtidCalibration.scope_id == scope_id)
    if mag_index is not None:
        query = query.where(BtidCalibration.mag_index == mag_index)
    query = query.order_by(BtidCalibration.created_at.desc(), BtidCalibration.id.desc())
    return [_btid(row) for row in session.scalars(query.limit(limit))]


def _btid(row: BtidCalibration) -> dict[str, Any]:
    x, y = row.reference_astig_x_nm, row.reference_astig_y_nm
    return {
        **calibration_info("btid", row),
        **{name: getattr(row, name) for name in BTID_COLUMNS},
        "reference_astig_nm": math.hypot(x, y),
    }
