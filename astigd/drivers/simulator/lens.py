"""The objective lens and its stigmators, seeded per scope, with a day-to-day drift."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from astigd.drivers.simulator.config import LensStatistics
from astigd.drivers.simulator.seeding import rng_for, rotation, unit_vector


@dataclass(frozen=True, eq=False)
class LensDay:
    """The lens on one date: its slope K (nm per nm of defocus) and own astigmatism (nm)."""

    date: dt.date
    slope_vec: np.ndarray  # K in doubled-angle space, dimensionless (nm astig per nm defocus)
    astig_vec_nm: np.ndarray  # A_lens at the reference defocus, doubled-angle space


@dataclass(frozen=True)
class StigmatorPair:
    """MX and MY: gains (nm per unit) and physical axes 45° (plus a skew) apart."""

    gain_x_nm: float
    gain_y_nm: float
    axis_x_deg: float
    skew_deg: float

    def matrix(self) -> np.ndarray:
        """Return the 2×2 response in doubled-angle space; columns are MX and MY."""
        axis_y_deg = self.axis_x_deg + 45.0 + self.skew_deg
        column_x = self.gain_x_nm * unit_vector(2.0 * self.axis_x_deg)
        column_y = self.gain_y_nm * unit_vector(2.0 * axis_y_deg)
        return np.column_stack([column_x, column_y])


def draw_stigmators(seed: int, stats: LensStatistics) -> StigmatorPair:
    """Return the scope's stigmator pair."""
    rng = rng_for(seed, "stigmators")
    gains = 1000.0 * rng.uniform(*stats.stig_gain_um_per_unit, size=2)
    return StigmatorPair(
        gain_x_nm=float(gains[0]),
        gain_y_nm=float(gains[1]),
        axis_x_deg=float(rng.uniform(0.0, 180.0)),
        skew_deg=float(stats.stig_skew_deg + stats.stig_skew_sd_deg * rng.standard_normal()),
    )


def _base_lens(seed: int, stats: LensStatistics) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return K0 (nm/nm), A0 (nm) and the slow-drift phases and periods of one lens."""
    rng = rng_for(seed, "lens")
    slope = rng.uniform(*stats.slope_nm_per_um) / 1000.0 * unit_vector(rng.uniform(0, 360))
    astig = rng.uniform(*stats.lens_astig_nm) * unit_vector(rng.uniform(0, 360))
    waves = np.stack([rng.uniform(20.0, 90.0, size=4), rng.uniform(0, 2 * math.pi, size=4)])
    return slope, astig, waves


def lens_on(seed: int, date: dt.date, stats: LensStatistics) -> LensDay:
    """Return the lens on a date: slow seeded swings plus day-to-day jitter, reproducible."""
    slope0, astig0, (periods, phases) = _base_lens(seed, stats)
    swing = np.sin(2 * math.pi * date.toordinal() / periods + phases)
    jitter = rng_for(seed, "day", date.toordinal()).standard_normal(size=4)
    scale = 1.0 + stats.daily_slope_fraction * swing[0]
    turn = rotation(2.0 * stats.daily_slope_axis_deg * swing[1])
    jitter_size = stats.daily_jitter_fraction * np.linalg.norm(slope0)
    slope = scale * turn @ slope0 + jitter_size * jitter[:2]
    astig = astig0 + stats.daily_astig_nm * swing[2:] + stats.daily_jitter_nm * jitter[2:]
    return LensDay(date=date, slope_vec=slope, astig_vec_nm=astig)
