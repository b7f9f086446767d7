"""The scope as small async protocols, in astigd units (DESIGN.md §2).

A driver is whatever satisfies them; ``astigd.drivers.scope.Scope`` satisfies all of them.
Stigmator: normalized −1..1. Defocus: nm, underfocus positive. Beam tilt: mrad, the alignment
rotation centre (not dark-field tilt). Times: UTC.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from astigd.drivers.records import (
    Frame,
    Illumination,
    MagEntry,
    OpticsKey,
    OpticsSnapshot,
    ScopeIdentity,
)


@runtime_checkable
class OpticalState(Protocol):
    """Identity and optical state, with snapshot and restore."""

    async def identity(self) -> ScopeIdentity:
        """Return vendor and model."""

    async def ht_kv(self) -> float:
        """Return the high tension in kV."""

    async def illumination(self) -> Illumination:
        """Return the probe mode (Thermo) or alpha (JEOL)."""

    async def optics_key(self) -> OpticsKey:
        """Return the key calibrations are stored under."""

    async def snapshot(self) -> OpticsSnapshot:
        """Read the full optical state."""

    async def restore(self, snapshot: OpticsSnapshot) -> None:
        """Return magnification, defocus, stigmator and beam tilt to a snapshot."""


@runtime_checkable
class Stigmator(Protocol):
    """Objective stigmator in normalized units."""

    async def get_stigmator(self) -> tuple[float, float]:
        """Read (stig_x, stig_y)."""

    async def set_stigmator(self, stig_x: float, stig_y: float) -> tuple[float, float]:
        """Move to (stig_x, stig_y) and return the value read back."""


@runtime_checkable
class Focus(Protocol):
    """Objective focus in nm, underfocus positive."""

    async def get_defocus_nm(self) -> float:
        """Read the defocus."""

    async def set_defocus_nm(self, defocus_nm: float) -> float:
        """Set the defocus and return the value read back."""


@runtime_checkable
class Magnification(Protocol):
    """Magnification by index, and the table behind the indices."""

    async def get_mag_index(self) -> int:
        """Read the magnification index."""

    async def set_mag_index(self, index: int) -> int:
        """Select a magnification index and return the index read back."""

    async def magnification_table(self) -> tuple[MagEntry, ...]:
        """Return the magnification table."""


@runtime_checkable
class BeamTilt(Protocol):
    """Beam tilt about the alignment rotation centre, in mrad."""

    async def get_beam_tilt_mrad(self) -> tuple[float, float]:
        """Read the beam tilt."""

    async def set_beam_tilt_mrad(self, x: float, y: float) -> tuple[float, float]:
        """Set the beam tilt and return the value read back."""


@runtime_checkable
class Camera(Protocol):
    """Frame acquisition with pixel size, time and optics attached."""

    async def acquire(self, exposure_s: float, binning: int = 1) -> Frame:
        """Expose and return the frame."""


@runtime_checkable
class Microscope(OpticalState, Stigmator, Focus, Magnification, BeamTilt, Camera, Protocol):
    """Everything astigd needs from a microscope."""
