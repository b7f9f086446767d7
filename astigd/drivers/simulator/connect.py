"""Build a guarded ``Scope`` on the simulated microscope in this process.

Over the network, use the Thermo driver: ``thermo_remote_scope(host, port)`` against
``astigd simulator serve`` (the simulated camera is called "BM-Ceta", the driver's default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from astigd.drivers.audit import AuditHook
from astigd.drivers.limits import ScopeLimits, ScopeTiming
from astigd.drivers.scope import Scope
from astigd.drivers.simulator.backend import SimulatorBackend
from astigd.drivers.simulator.microscope import SimulatedMicroscope


class SimulatorUnits:
    """The in-process simulator already speaks astigd's units: every conversion is identity."""

    def stig_from_raw(self, raw: Sequence[float]) -> tuple[float, float]:
        """Return the normalized stigmator."""
        return float(raw[0]), float(raw[1])

    def stig_to_raw(self, stig: tuple[float, float]) -> tuple[float, float]:
        """Return the normalized stigmator."""
        return float(stig[0]), float(stig[1])

    def defocus_from_raw(self, raw: float, mag_index: int) -> float:
        """Return nm, underfocus positive."""
        return float(raw)

    def defocus_to_raw(self, defocus_nm: float, mag_index: int, current: Any) -> float:
        """Return nm, underfocus positive."""
        return float(defocus_nm)

    def tilt_from_raw(self, raw: Sequence[float]) -> tuple[float, float]:
        """Return mrad."""
        return float(raw[0]), float(raw[1])

    def tilt_to_raw(self, tilt_mrad: tuple[float, float]) -> tuple[float, float]:
        """Return mrad."""
        return float(tilt_mrad[0]), float(tilt_mrad[1])


def simulated_scope(
    microscope: SimulatedMicroscope | None = None,
    *,
    limits: ScopeLimits | None = None,
    timing: ScopeTiming | None = None,
    audit: AuditHook | None = None,
) -> Scope:
    """Return a scope on a simulated microscope in this process (no network)."""
    backend = SimulatorBackend(microscope)
    return Scope(
        backend, SimulatorUnits(), name="simulator", limits=limits, timing=timing, audit=audit
    )
