"""The astigd tables; importing this module registers them all on Base.metadata."""

from astigd.app.db.base import Base
from astigd.app.db.models.calibrations import (
    AnisoMagCalibration,
    BtidCalibration,
    PixelSizeCalibration,
    PixelSizeCheck,
    StigmatorCalibration,
)
from astigd.app.db.models.jobs import JOB_STATES, Job, JobEvent, JobState
from astigd.app.db.models.keys import ApiKey
from astigd.app.db.models.leases import ScopeLease
from astigd.app.db.models.lens import (
    LensSweep,
    LensSweepPoint,
    MagnificationProfile,
    MagnificationProfilePoint,
)
from astigd.app.db.models.measurements import Measurement
from astigd.app.db.models.scopes import OpticsAudit, Scope

__all__ = [
    "JOB_STATES",
    "AnisoMagCalibration",
    "ApiKey",
    "Base",
    "BtidCalibration",
    "Job",
    "JobEvent",
    "JobState",
    "LensSweep",
    "LensSweepPoint",
    "MagnificationProfile",
    "MagnificationProfilePoint",
    "Measurement",
    "OpticsAudit",
    "PixelSizeCalibration",
    "PixelSizeCheck",
    "Scope",
    "ScopeLease",
    "StigmatorCalibration",
]
