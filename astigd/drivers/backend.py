"""The minimal synchronous interface each vendor implements, in vendor units.

A backend only talks to the vendor: raw get/set calls that may block, raising the typed errors
of ``astigd.drivers.errors`` for busy, disconnected and vendor faults. Unit conversion lives in a
separate, pure ``UnitConversion``; threads, timeouts, retries, limits, read-back, backlash,
settling and audit live once, in ``astigd.drivers.scope.Scope``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from astigd.drivers.records import Illumination, MagEntry, ScopeIdentity


@runtime_checkable
class ScopeBackend(Protocol):
    """Raw, blocking vendor calls; called from the scope's single vendor thread only."""

    def identity(self) -> ScopeIdentity:
        """Return vendor and model."""

    def get_ht_kv(self) -> float:
        """Return the high tension in kV."""

    def get_illumination(self) -> Illumination:
        """Return the probe mode or alpha."""

    def get_stigmator(self) -> Any:
        """Return the objective stigmator in vendor units."""

    def set_stigmator(self, raw: Any) -> None:
        """Set the objective stigmator in vendor units."""

    def get_defocus(self) -> Any:
        """Return the focus in vendor units."""

    def set_defocus(self, raw: Any) -> None:
        """Set the focus in vendor units."""

    def get_mag_index(self) -> int:
        """Return the magnification index."""

    def set_mag_index(self, index: int) -> None:
        """Select a magnification by index."""

    def magnification_table(self) -> Sequence[MagEntry]:
        """Return the magnification table."""

    def get_beam_tilt(self) -> Any:
        """Return the beam tilt (rotation centre) in vendor units."""

    def set_beam_tilt(self, raw: Any) -> None:
        """Set the beam tilt (rotation centre) in vendor units."""

    def acquire(self, exposure_s: float, binning: int) -> np.ndarray:
        """Expose the configured camera and return the image."""

    def close(self) -> None:
        """Release the vendor connection."""


@runtime_checkable
class UnitConversion(Protocol):
    """Pure conversions between vendor units and astigd's units (DESIGN.md §2)."""

    def stig_from_raw(self, raw: Any) -> tuple[float, float]:
        """Return the normalized stigmator (−1..1) for a vendor value."""

    def stig_to_raw(self, stig: tuple[float, float]) -> Any:
        """Return the vendor value for a normalized stigmator."""

    def defocus_from_raw(self, raw: Any, mag_index: int) -> float:
        """Return defocus in nm, underfocus positive."""

    def defocus_to_raw(self, defocus_nm: float, mag_index: int, current: Any) -> Any:
        """Return the vendor focus value for a defocus in nm, given the current vendor value."""

    def tilt_from_raw(self, raw: Any) -> tuple[float, float]:
        """Return the beam tilt in mrad."""

    def tilt_to_raw(self, tilt_mrad: tuple[float, float]) -> Any:
        """Return the vendor value for a beam tilt in mrad."""
