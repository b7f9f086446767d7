"""A polycrystalline gold film: the powder rings that calibrate magnification and pixel size.

Gold is face-centred cubic with a = 4.0782 Å, so its first reflections lie at d(111) = 2.355 Å,
d(200) = 2.039 Å, d(220) = 1.442 Å and d(311) = 1.230 Å. A film of many small, randomly
oriented grains scatters into every in-plane direction at those spacings: the sum of random-phase
Bragg reflections at random azimuths. Summed over many grains this is a Gaussian random phase
field whose power spectrum is the powder pattern: rings at k = 1/d, with a Scherrer width
Δk (FWHM) = 0.9 / grain size, and strengths in the ratio of the powder intensities (multiplicity
times the squared structure factor: about 100 : 52 : 32 : 36). The film sits on the carbon
support, whose phase adds the usual Thon rings. Real films with few grains per frame give
spottier rings; the ring radii, which calibration measures, are the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from astigd.workers.gold_rings import GOLD_LATTICE_A

GRAIN_SIZE_A = 150.0  # 15 nm grains: an evaporated gold film
SCHERRER_K = 0.9
RING_PSD_RAD2_A2 = 20.0  # peak phase PSD of the (111) ring


@dataclass(frozen=True)
class BraggRing:
    """One powder ring: reflection, spacing, peak phase PSD and Gaussian width in k."""

    hkl: str
    d_A: float
    peak_psd_rad2_A2: float
    width_invA: float

    def psd(self, k2_invA2: np.ndarray) -> np.ndarray:
        """Return the ring's phase PSD (rad²·Å²) at squared frequencies k² (Å⁻²)."""
        offset = np.sqrt(k2_invA2) - 1.0 / self.d_A
        return self.peak_psd_rad2_A2 * np.exp(-0.5 * (offset / self.width_invA) ** 2)


def fcc_spacing_A(h: int, k: int, l: int, lattice_A: float = GOLD_LATTICE_A) -> float:  # noqa: E741
    """Return the lattice spacing d(hkl) of a cubic crystal."""
    return lattice_A / math.sqrt(h * h + k * k + l * l)


def gold_rings(grain_size_A: float = GRAIN_SIZE_A) -> tuple[BraggRing, ...]:
    """Return the gold powder rings for a grain size (Scherrer width, FWHM = 0.9 / size)."""
    sigma_invA = SCHERRER_K / grain_size_A / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    intensities = {(1, 1, 1): 1.0, (2, 0, 0): 0.52, (2, 2, 0): 0.32, (3, 1, 1): 0.36}
    peak = RING_PSD_RAD2_A2
    return tuple(
        BraggRing("".join(map(str, hkl)), fcc_spacing_A(*hkl), peak * weight, sigma_invA)
        for hkl, weight in intensities.items()
    )


GOLD_RINGS = gold_rings()
