"""The newest fitted frame of each scope, kept in memory so its spectrum can be drawn on demand.

Frames are large and only the latest is wanted by the dashboard, so nothing is written to the
database: after a restart there is no spectrum until the next frame is fitted.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from astigd.app.core.inventory import OpticsDefaults
from astigd.app.db.base import utc_now
from astigd.app.procedures.optics import optics_for
from astigd.drivers.records import Frame
from astigd.workers.ctf import Optics


@dataclass(frozen=True, eq=False)
class KeptFrame:
    """A fitted frame, the optics it was fitted with and the measurement that holds its fit."""

    measurement_id: int
    image: np.ndarray
    optics: Optics
    kept_at: datetime


class KeptFrames:
    """The newest fitted frame per scope (thread-safe: recorders run in worker threads)."""

    def __init__(self) -> None:
        """Start with nothing kept."""
        self._frames: dict[str, KeptFrame] = {}
        self._lock = threading.Lock()

    def keep(self, scope_id: str, measurement_id: int, image: np.ndarray, optics: Optics) -> None:
        """Keep this frame as the scope's newest."""
        kept = KeptFrame(measurement_id, np.asarray(image), optics, utc_now())
        with self._lock:
            self._frames[scope_id] = kept

    def keep_procedure_frame(
        self, scope_id: str, measurement_id: int, frame: Frame, defaults: OpticsDefaults | None
    ) -> None:
        """Keep a frame a procedure acquired, with the optics its fit used."""
        optics, _ = optics_for(frame.optics, defaults, frame.pixel_size_A, frame.binning)
        self.keep(scope_id, measurement_id, frame.image, optics)

    def latest(self, scope_id: str) -> KeptFrame | None:
        """Return the scope's newest kept frame, if any."""
        with self._lock:
            return self._frames.get(scope_id)
