"""Safety limits and timing of the scope layer, and the checks that enforce them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from astigd.drivers.errors import LimitError


@dataclass(frozen=True)
class ScopeLimits:
    """Limits enforced on every move, whoever calls (normalized stigmator, nm, mrad)."""

    stig_abs_max: float = 0.99
    stig_step_max: float = 0.2
    defocus_min_nm: float = -2000.0
    defocus_max_nm: float = 10000.0
    beam_tilt_max_mrad: float = 10.0
    exposure_max_s: float = 60.0
    backlash_overshoot: float = 0.02
    backlash_approach: Literal["below", "above"] = "below"
    stig_tolerance: float = 2e-3
    defocus_tolerance_nm: float = 5.0
    beam_tilt_tolerance_mrad: float = 0.05


@dataclass(frozen=True)
class ScopeTiming:
    """Time limits, retries and settle delays (seconds); tests shrink them."""

    call_timeout_s: float = 10.0
    acquire_timeout_s: float = 60.0
    busy_retries: int = 3
    busy_backoff_s: float = 0.5
    settle_s: float = 0.5
    restore_patience_s: float = 30.0  # a scope that timed out may answer late: restore retries


def check_stigmator(limits: ScopeLimits, current: tuple[float, float], target: tuple[float, float]):
    """Raise LimitError if the target or the step to it breaks the stigmator limits."""
    for axis, now, new in zip("xy", current, target, strict=True):
        if not math.isfinite(new) or abs(new) > limits.stig_abs_max:
            raise LimitError(f"stig_{axis}={new} is beyond ±{limits.stig_abs_max}")
        if abs(new - now) > limits.stig_step_max + 1e-12:
            raise LimitError(
                f"stig_{axis} step {new - now:+.4f} exceeds the per-move maximum "
                f"{limits.stig_step_max}"
            )


def check_defocus(limits: ScopeLimits, defocus_nm: float) -> None:
    """Raise LimitError if the defocus lies outside the allowed window."""
    low, high = limits.defocus_min_nm, limits.defocus_max_nm
    if not (math.isfinite(defocus_nm) and low <= defocus_nm <= high):
        raise LimitError(f"defocus {defocus_nm} nm is outside the window [{low}, {high}] nm")


def check_beam_tilt(limits: ScopeLimits, tilt_mrad: tuple[float, float]) -> None:
    """Raise LimitError if a beam-tilt component exceeds the allowed magnitude."""
    for axis, value in zip("xy", tilt_mrad, strict=True):
        if not math.isfinite(value) or abs(value) > limits.beam_tilt_max_mrad:
            bound = limits.beam_tilt_max_mrad
            raise LimitError(f"beam tilt {axis}={value} mrad is beyond ±{bound} mrad")


def check_exposure(limits: ScopeLimits, exposure_s: float, binning: int) -> None:
    """Raise LimitError for a non-positive or too long exposure or a bad binning."""
    if not (0.0 < exposure_s <= limits.exposure_max_s):
        raise LimitError(f"exposure {exposure_s} s is outside (0, {limits.exposure_max_s}] s")
    if binning < 1:
        raise LimitError(f"binning {binning} must be a positive integer")
