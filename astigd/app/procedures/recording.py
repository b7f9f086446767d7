"""Store every fit a procedure makes as a measurement row, with the frame's optics.

The optics snapshot also names the stored calibrations (pixel size, anisotropy) the fit used.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.db.measurements import store_fit
from astigd.app.procedures.events import snapshot_dict
from astigd.app.procedures.runtime import MeasurementRecorder
from astigd.drivers.records import Frame
from astigd.workers.results import CtfFit

SOURCE = "procedure"


def db_measurement_recorder(
    sessions: sessionmaker[Session],
    scope_id: str,
    job_id: uuid.UUID | None = None,
    keep: Callable[[int, Frame], None] | None = None,
) -> MeasurementRecorder:
    """Return a recorder for ProcedureRuntime that writes each fit and returns its row id.

    With `keep`, each fitted frame is also handed on with its measurement id (the dashboard's
    spectrum); frames a fit does not describe (BTID's tilted frames) are not.
    """

    def write(fit: CtfFit, frame: Frame, fitted_frame: bool) -> int:
        optics = {
            **snapshot_dict(frame.optics),
            "frame_pixel_size_A": frame.pixel_size_A,
            "exposure_s": frame.exposure_s,
            "binning": frame.binning,
            "acquired_at": frame.acquired_at.isoformat(),
            **{k: v for k, v in fit.parameters.items() if k.endswith("_calibration_id")},
        }
        with sessions() as session:
            measurement_id = store_fit(session, fit, SOURCE, scope_id, job_id, optics).id
        if keep is not None and fitted_frame:
            keep(measurement_id, frame)
        return measurement_id

    async def record(fit: CtfFit, frame: Frame, fitted_frame: bool = True) -> int:
        return await asyncio.to_thread(write, fit, frame, fitted_frame)

    return record
