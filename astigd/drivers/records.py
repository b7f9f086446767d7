"""Frozen records the scope layer hands out: identity, optics, frames and audit entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScopeIdentity:
    """Who the microscope is."""

    vendor: str
    model: str


@dataclass(frozen=True)
class Illumination:
    """Illumination setting that keys calibrations: probe mode (Thermo) or alpha (JEOL)."""

    probe_mode: str | None = None
    alpha: int | None = None


@dataclass(frozen=True)
class MagEntry:
    """One row of the magnification table; pixel size at the specimen for binning 1."""

    index: int
    magnification: float
    pixel_size_A: float
    mode: str = ""


@dataclass(frozen=True)
class OpticsKey:
    """Optical state that calibrations are keyed by (DESIGN.md §4)."""

    ht_kv: float
    mag_index: int
    illumination: Illumination


@dataclass(frozen=True)
class OpticsSnapshot:
    """Full optical state, for logging and for restore."""

    identity: ScopeIdentity
    ht_kv: float
    illumination: Illumination
    mag: MagEntry
    stig_x: float
    stig_y: float
    defocus_nm: float
    beam_tilt_mrad: tuple[float, float]
    taken_at: datetime

    @property
    def optics_key(self) -> OpticsKey:
        """Return the calibration key of this state."""
        return OpticsKey(round(self.ht_kv, 3), self.mag.index, self.illumination)


@dataclass(frozen=True, eq=False)
class Frame:
    """An acquired image with its pixel size, time and the optics it was taken at."""

    image: np.ndarray = field(repr=False)
    pixel_size_A: float
    exposure_s: float
    binning: int
    acquired_at: datetime
    optics: OpticsSnapshot


@dataclass(frozen=True)
class AuditRecord:
    """One optics change: what moved, from what, to what (read back), and when (UTC)."""

    what: str
    before: object
    after: object
    at: datetime
    requested: object = None
    error: str | None = None
