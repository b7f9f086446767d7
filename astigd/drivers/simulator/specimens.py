"""Specimens for the simulated camera: weak-phase objects described by their phase spectra.

Each specimen is a Gaussian random phase field with a radially symmetric power spectral density
(PSD, rad²·Å²), so the same specimen gives the same physics at any pixel size. Integrating the
PSD over the sampled band gives the phase variance per pixel.

- carbon: a 10–20 nm amorphous carbon film, the usual Thon-ring target. A slowly falling
  Lorentzian (halving at 4 Å) with about 0.09 rad rms phase at 1 Å sampling: thickness and
  density fluctuations of the film, damped at high frequency by the atomic scattering factor.
  At 20 e/Å², 1 Å/px and 1024², rings stand out to about 4 Å.
- ice: vitreous ice over a hole. Water is almost uniform, so its phase contrast is 8× weaker
  than carbon's (64× less power), with a mild bump at the 3.7 Å water ring. At 20 e/Å² and
  1024² its rings are not detectable above shot noise.
- blank: vacuum. No phase, so the frame is uniform illumination plus shot noise.
- gold: a polycrystalline gold film on the carbon support (see `gold.py`): powder rings at the
  Au(111), (200), (220) and (311) spacings, for calibrating magnification and pixel size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astigd.drivers.simulator.gold import GOLD_RINGS, BraggRing


@dataclass(frozen=True)
class Specimen:
    """A weak-phase specimen: phase PSD = Lorentzian plus an optional Gaussian ring."""

    name: str
    phase_psd_rad2_A2: float
    corner_freq_invA: float = 0.25
    ring_psd_rad2_A2: float = 0.0
    ring_freq_invA: float = 1.0 / 3.7
    ring_width_invA: float = 0.03
    bragg_rings: tuple[BraggRing, ...] = ()

    @property
    def is_vacuum(self) -> bool:
        """Return True when the specimen has no phase at all."""
        rings = self.ring_psd_rad2_A2 or self.bragg_rings
        return self.phase_psd_rad2_A2 == 0.0 and not rings

    def phase_psd(self, k2_invA2: np.ndarray) -> np.ndarray:
        """Return the phase PSD in rad²·Å² at squared physical frequencies k² (Å⁻²)."""
        psd = self.phase_psd_rad2_A2 / (1.0 + k2_invA2 / self.corner_freq_invA**2)
        if self.ring_psd_rad2_A2:
            offset = np.sqrt(k2_invA2) - self.ring_freq_invA
            psd = psd + self.ring_psd_rad2_A2 * np.exp(-0.5 * (offset / self.ring_width_invA) ** 2)
        for ring in self.bragg_rings:
            psd = psd + ring.psd(k2_invA2)
        return psd


CARBON = Specimen("carbon", phase_psd_rad2_A2=0.025)
ICE = Specimen("ice", phase_psd_rad2_A2=0.025 / 64, ring_psd_rad2_A2=0.025 / 128)
BLANK = Specimen("blank", phase_psd_rad2_A2=0.0)
GOLD = Specimen("gold", phase_psd_rad2_A2=0.025, bragg_rings=GOLD_RINGS)
SPECIMENS: dict[str, Specimen] = {s.name: s for s in (CARBON, ICE, BLANK, GOLD)}


def specimen_named(name: str) -> Specimen:
    """Return the specimen called `name` ("carbon", "ice", "blank" or "gold")."""
    try:
        return SPECIMENS[name]
    except KeyError:
        known = sorted(SPECIMENS)
        raise ValueError(f"unknown specimen {name!r}; expected one of {known}") from None
