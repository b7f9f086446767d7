"""Anisotropic magnification: the linear map from frame pixels to physical frequencies."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AnisoMag:
    """A known anisotropic magnification: scales along a major axis and the axis across it.

    A physical length L along the major axis (azimuth `angle_deg`, counter-clockwise from +x)
    spans L·scale_major/pixel_size_A pixels in the frame; across it, L·scale_minor/pixel_size_A.
    Anisotropy ε = scale_major/scale_minor − 1 makes round rings look elliptical, with an
    apparent astigmatism of about 2·ε·defocus.
    """

    scale_major: float
    scale_minor: float
    angle_deg: float

    def __post_init__(self) -> None:
        for name in ("scale_major", "scale_minor"):
            value = getattr(self, name)
            if not 0.5 < value < 2.0:
                raise ValueError(f"{name} must be in (0.5, 2), got {value}")

    @property
    def anisotropy(self) -> float:
        """Return ε = scale_major/scale_minor − 1."""
        return self.scale_major / self.scale_minor - 1.0

    def matrix(self) -> np.ndarray:
        """Return the symmetric 2×2 map S in (x, y) with pixel_coords = S·physical / pixel size."""
        theta = math.radians(self.angle_deg)
        rotation = np.array(
            [[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]]
        )
        return rotation @ np.diag([self.scale_major, self.scale_minor]) @ rotation.T

    def physical_frequencies(self, kx: np.ndarray, ky: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map frame frequencies (x, y) to the physical frequencies they sample: k_phys = S·k."""
        s = self.matrix()
        return s[0, 0] * kx + s[0, 1] * ky, s[1, 0] * kx + s[1, 1] * ky
