"""Astigmatism as a vector in doubled-angle space (DESIGN.md §1–2)."""

from __future__ import annotations

import math
from typing import NamedTuple


class DefocusPair(NamedTuple):
    """Defocus along the two principal axes, CTFFIND order (defocus1 ≥ defocus2)."""

    defocus1_nm: float
    defocus2_nm: float
    angle_deg: float


def wrap_angle_deg(angle_deg: float) -> float:
    """Wrap an axis azimuth into [0, 180)."""
    wrapped = math.fmod(angle_deg, 180.0)
    if wrapped < 0:
        wrapped += 180.0
    return 0.0 if wrapped >= 180.0 else wrapped


def astig_vector_nm(astig_nm: float, angle_deg: float) -> tuple[float, float]:
    """Return (a·cos 2θ, a·sin 2θ) for magnitude a and defocus1-axis azimuth θ."""
    two_theta = math.radians(2.0 * angle_deg)
    return astig_nm * math.cos(two_theta), astig_nm * math.sin(two_theta)


def astig_from_vector(astig_x_nm: float, astig_y_nm: float) -> tuple[float, float]:
    """Return (magnitude nm, angle_deg in [0, 180)) of a doubled-angle astigmatism vector."""
    magnitude = math.hypot(astig_x_nm, astig_y_nm)
    angle = 0.5 * math.degrees(math.atan2(astig_y_nm, astig_x_nm))
    return magnitude, wrap_angle_deg(angle)


def defocus_pair(defocus_mean_nm: float, astig_nm: float, angle_deg: float) -> DefocusPair:
    """Return defocus1/defocus2/angle from a mean defocus and an astigmatism."""
    if astig_nm < 0:
        astig_nm, angle_deg = -astig_nm, angle_deg + 90.0
    half = 0.5 * astig_nm
    return DefocusPair(defocus_mean_nm + half, defocus_mean_nm - half, wrap_angle_deg(angle_deg))
