"""Backlash-aware stigmator paths: always arrive at the target from the same side."""

from __future__ import annotations

import math

from astigd.drivers.limits import ScopeLimits

Stig = tuple[float, float]


def approach_path(current: Stig, target: Stig, limits: ScopeLimits) -> list[Stig]:
    """Return the points to set in order so each axis reaches the target from the fixed side.

    An axis that would arrive moving towards the approach side first overshoots past the
    target (clipped to the ±stig_abs_max limit), then comes back.
    """
    side = -1.0 if limits.backlash_approach == "below" else 1.0
    overshoot = [_overshoot(c, t, side, limits) for c, t in zip(current, target, strict=True)]
    via = (overshoot[0], overshoot[1])
    return [target] if via == target else [via, target]


def _overshoot(current: float, target: float, side: float, limits: ScopeLimits) -> float:
    """Return where one axis goes first: past the target if it moves towards the side."""
    if (target - current) * side <= 0.0:
        return target
    via = target + side * limits.backlash_overshoot
    return math.copysign(min(abs(via), limits.stig_abs_max), via)


def walk(current: Stig, target: Stig, step_max: float) -> list[Stig]:
    """Return intermediate points from current to target, no step longer than step_max."""
    span = max(abs(t - c) for c, t in zip(current, target, strict=True))
    count = max(1, math.ceil(span / step_max - 1e-9))
    points = [
        (
            current[0] + (target[0] - current[0]) * i / count,
            current[1] + (target[1] - current[1]) * i / count,
        )
        for i in range(1, count)
    ]
    return [*points, target]
