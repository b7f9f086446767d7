"""The magnification table and what each magnification does to the image, seeded per scope."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from astigd.drivers.simulator.config import LensStatistics
from astigd.drivers.simulator.seeding import rng_for
from astigd.workers.anisotropy import AnisoMag

# (temscript magnification_index, indicated magnification, projector mode)
NOMINAL_TABLE: tuple[tuple[int, float, str], ...] = (
    (1, 5_000.0, "SA"),
    (2, 8_700.0, "SA"),
    (3, 15_000.0, "SA"),
    (4, 22_500.0, "SA"),
    (5, 36_000.0, "SA"),
    (6, 59_000.0, "SA"),
    (7, 81_000.0, "SA"),
    (8, 105_000.0, "SA"),
    (9, 130_000.0, "SA"),
    (10, 165_000.0, "Mh"),
)
PIXEL_A_TIMES_MAG = 85_000.0  # nominal pixel size at the specimen, binning 1: 17 Å at 5 kx
DEFAULT_MAG_INDEX = 7


@dataclass(frozen=True)
class Magnification:
    """One magnification: the published entry and its hidden optical character."""

    index: int
    magnification: float
    mode: str
    pixel_size_A: float  # nominal, binning 1, as published
    true_pixel_size_A: float
    rotation_deg: float  # image rotation relative to the lens frame
    stig_gain: float  # factor on the stigmator response
    aniso: AnisoMag
    defocus_offset_nm: float  # reproducible, added to the lens defocus
    astig_vec_nm: tuple[float, float]  # reproducible, non-linear in magnification

    def published(self) -> dict:
        """Return the entry as /v1/astigd/magnification_table serves it."""
        return {
            "index": self.index,
            "magnification": self.magnification,
            "pixel_size_A": self.pixel_size_A,
            "mode": self.mode,
        }


def _smooth(rng: np.random.Generator, u: float, amplitude: float) -> float:
    """Return a seeded smooth non-linear function of u = ln(mag / 5000)."""
    freq, phase, bend = rng.uniform(1.2, 2.6), rng.uniform(0, 2 * math.pi), rng.uniform(-0.25, 0.25)
    return amplitude * (math.sin(freq * u + phase) + bend * u * u / 4.0)


def _aniso(seed: int, index: int, stats: LensStatistics) -> AnisoMag:
    """Return the anisotropic magnification: a scope-wide value with small per-index changes."""
    base = rng_for(seed, "aniso")
    eps0, angle0 = base.uniform(*stats.aniso_percent) / 100.0, base.uniform(0.0, 180.0)
    local = rng_for(seed, "aniso", index)
    eps = eps0 * (1.0 + 0.05 * local.standard_normal())
    scale = math.sqrt(1.0 + eps)
    return AnisoMag(scale, 1.0 / scale, (angle0 + 2.0 * local.standard_normal()) % 180.0)


def build_magnification(seed: int, index: int, mag: float, mode: str, stats: LensStatistics):
    """Return one magnification's entry with its seeded character."""
    u = math.log(mag / NOMINAL_TABLE[0][1])
    curve = rng_for(seed, "mag-curves")  # the same curves for every index: smooth in u
    astig = (_smooth(curve, u, stats.mag_astig_nm), _smooth(curve, u, stats.mag_astig_nm))
    defocus = _smooth(curve, u, stats.mag_defocus_nm)
    local = rng_for(seed, "mag", index)
    nominal_A = PIXEL_A_TIMES_MAG / mag
    return Magnification(
        index=index,
        magnification=mag,
        mode=mode,
        pixel_size_A=nominal_A,
        true_pixel_size_A=nominal_A * (1.0 + stats.pixel_size_sd * local.standard_normal()),
        rotation_deg=stats.mag_rotation_sd_deg * local.standard_normal(),
        stig_gain=1.0 + stats.mag_gain_sd * local.standard_normal(),
        aniso=_aniso(seed, index, stats),
        defocus_offset_nm=defocus + 0.1 * stats.mag_defocus_nm * local.standard_normal(),
        astig_vec_nm=astig,
    )


def build_table(seed: int, stats: LensStatistics) -> dict[int, Magnification]:
    """Return every magnification of the simulated scope, by index."""
    return {i: build_magnification(seed, i, m, mode, stats) for i, m, mode in NOMINAL_TABLE}
