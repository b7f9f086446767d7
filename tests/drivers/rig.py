"""The contract a driver's test rig fulfils so the conformance suite can run against it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from astigd.drivers.limits import ScopeTiming
from astigd.drivers.records import AuditRecord
from astigd.drivers.scope import Scope

FAST = ScopeTiming(
    call_timeout_s=0.25,
    acquire_timeout_s=5.0,
    busy_retries=2,
    busy_backoff_s=0.001,
    settle_s=0.001,
)


class FaultInjector(Protocol):
    """Faults the vendor side can be made to show."""

    def busy(self, calls: int) -> None:
        """Answer the next `calls` vendor calls with "busy"."""

    def hang(self, seconds: float) -> None:
        """Block the next vendor call for up to `seconds` (or until clear())."""

    def disconnect(self) -> None:
        """Make every vendor call fail as if the microscope were unreachable."""

    def clear(self) -> None:
        """Remove every fault and release a hanging call."""


@dataclass
class ScopeRig:
    """A scope under test plus independent views of the vendor side.

    The vendor views read the vendor's state directly (not through the driver) and convert
    it with the rig's own arithmetic, so the suite can check units at the boundary.
    """

    scope: Scope
    faults: FaultInjector
    vendor_stigmator: Callable[[], tuple[float, float]]
    vendor_defocus_nm: Callable[[], float]
    vendor_beam_tilt_mrad: Callable[[], tuple[float, float]]
    stigmator_writes: Callable[[], list[tuple[float, float]]]
    mag_indices: tuple[int, ...]  # at least two valid indices, focus-calibrated
    audit: list[AuditRecord] = field(default_factory=list)
