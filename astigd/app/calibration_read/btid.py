"""BTID calibration history for dashboards: every row of a scope, newest first."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from astigd.app.calibration_read.lookup import HistoryWindow, calibration_info, history_rows
from astigd.app.db.models import BtidCalibration
from astigd.app.procedures.calibration_rows import BTID_COLUMNS


def btid_history(
    session: Session, scope_id: str, limit: int, mag_index: int | None = None
) -> list[dict[str, Any]]:
    """Return the newest BTID calibrations of a scope (at one magnification if given)."""
    rows = history_rows(session, BtidCalibration, scope_id, HistoryWindow(limit, mag_index))
    return [_btid(row) for row in rows]


def _btid(row: BtidCalibration) -> dict[str, Any]:
    x, y = row.reference_astig_x_nm, row.reference_astig_y_nm
    return {
        **calibration_info("btid", row),
        **{name: getattr(row, name) for name in BTID_COLUMNS},
        "reference_astig_nm": math.hypot(x, y),
    }
