"""Calibrate pixel size and anisotropic magnification from gold powder rings.

Every ring satisfies fᵀ·G·f = 1/d² with G = MᵀM, M the map from frame frequencies (cycles/
pixel) to physical ones (Å⁻¹). G is symmetric, so each measured radius r at azimuth u gives one
linear equation uᵀ·G·u = 1/(d·r)² in G's three entries; both rings share G. M = √G = S/p with S
of unit determinant (workers.anisotropy.AnisoMag), so the pixel size is p = det(G)^(−1/4), and
S's eigenvalues and major axis are the scales and the angle. Uncertainties propagate G's
covariance (scaled up by the reduced χ² when the points scatter more than their errors say)
by Monte Carlo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from astigd.workers.anisotropy import AnisoMag
from astigd.workers.gold_rings import GOLD_SPACINGS_A, RingPoints, ring_points
from astigd.workers.spectrum import PowerSpectrum, estimate_power_spectrum

PASSES = (0.06, 0.03, 0.015)  # relative half-width of the ring window, pass by pass
MONTE_CARLO_DRAWS = 4000
MIN_POINTS_PER_RING = 8


class RingsNotFoundError(ValueError):
    """The gold rings cannot be found or fitted in the spectrum."""


@dataclass(frozen=True)
class GoldCalibration:
    """Pixel size and anisotropic magnification from gold rings, with 1σ uncertainties."""

    pixel_size_A: float
    pixel_size_sd_A: float
    scale_major: float
    scale_minor: float
    angle_deg: float
    anisotropy: float
    anisotropy_sd: float
    angle_sd_deg: float
    reduced_chi2: float
    rings: list[dict] = field(default_factory=list)

    def aniso(self) -> AnisoMag:
        """Return the anisotropic magnification as the fitters use it."""
        return AnisoMag(self.scale_major, self.scale_minor, self.angle_deg)


def calibrate_from_frames(
    frames: list[np.ndarray], nominal_pixel_A: float, box_px: int = 1024, n_sectors: int = 36
) -> GoldCalibration:
    """Average the frames' power spectra and fit the Au(111) and Au(200) rings as ellipses."""
    spectra = [estimate_power_spectrum(frame, nominal_pixel_A, box_px) for frame in frames]
    power = np.mean([spectrum.power for spectrum in spectra], axis=0)
    first = spectra[0]
    merged = PowerSpectrum(power, first.box_px, nominal_pixel_A, sum(s.n_tiles for s in spectra))
    return calibrate_from_spectrum(merged, nominal_pixel_A, n_sectors)


def calibrate_from_spectrum(
    spectrum: PowerSpectrum, nominal_pixel_A: float, n_sectors: int = 36
) -> GoldCalibration:
    """Fit the gold rings in a power spectrum, starting from the nominal pixel size."""
    usable = {hkl: d for hkl, d in GOLD_SPACINGS_A.items() if d > 2.0 * nominal_pixel_A / 0.95}
    if not usable:
        raise RingsNotFoundError(
            f"no gold ring is sampled at {nominal_pixel_A:.3g} Å/px: Au(111) at 2.355 Å needs a "
            "pixel size below 1.12 Å (Nyquist with a margin); use a higher magnification"
        )
    transform = np.eye(2) / nominal_pixel_A
    for window in PASSES:
        found = [ring_points(spectrum, hkl, d, transform, n_sectors, window)
                 for hkl, d in usable.items()]  # fmt: skip
        rings = [ring for ring in found if ring.radius.size >= MIN_POINTS_PER_RING]
        if not rings:
            raise RingsNotFoundError("no gold ring stands out of the spectrum")
        g, covariance, chi2 = fit_ellipse_metric(rings)
        transform = _sqrtm(g)
    return _calibration(g, covariance, chi2, rings)


def fit_ellipse_metric(rings: list[RingPoints]) -> tuple[np.ndarray, np.ndarray, float]:
    """Return G, the covariance of (Gxx, Gxy, Gyy) and the reduced χ² of the weighted fit."""
    rows, y, sd = [], [], []
    for ring in rings:
        c, s = np.cos(ring.azimuth_rad), np.sin(ring.azimuth_rad)
        rows.append(np.column_stack([c * c, 2.0 * c * s, s * s]))
        value = 1.0 / (ring.d_A * ring.radius) ** 2
        y.append(value)
        sd.append(2.0 * value * ring.radius_sd / ring.radius)
    design, target, sigma = np.vstack(rows), np.concatenate(y), np.concatenate(sd)
    weighted = design / sigma[:, None]
    params, *_ = np.linalg.lstsq(weighted, target / sigma, rcond=None)
    dof = max(len(target) - 3, 1)
    chi2 = float(np.sum(((design @ params - target) / sigma) ** 2) / dof)
    covariance = np.linalg.inv(weighted.T @ weighted) * max(chi2, 1.0)
    gxx, gxy, gyy = params
    return np.array([[gxx, gxy], [gxy, gyy]]), covariance, chi2


def _sqrtm(g: np.ndarray) -> np.ndarray:
    """Return the symmetric positive square root of a 2×2 metric."""
    values, vectors = np.linalg.eigh(g)
    if values.min() <= 0:
        raise RingsNotFoundError("the fitted ring ellipse is not an ellipse")
    return vectors @ np.diag(np.sqrt(values)) @ vectors.T


def describe_metric(g: np.ndarray) -> tuple[float, float, float, float]:
    """Return (pixel size Å, scale_major, scale_minor, angle_deg) of the metric G = (S/p)²."""
    values, vectors = np.linalg.eigh(g)
    minor, major = np.sqrt(values)
    pixel_A = 1.0 / math.sqrt(major * minor)
    axis = vectors[:, 1]
    angle = math.degrees(math.atan2(axis[1], axis[0])) % 180.0
    return pixel_A, major * pixel_A, minor * pixel_A, angle


def _calibration(g, covariance, chi2, rings) -> GoldCalibration:
    pixel_A, major, minor, angle = describe_metric(g)
    draws = np.random.default_rng(0).multivariate_normal(
        [g[0, 0], g[0, 1], g[1, 1]], covariance, MONTE_CARLO_DRAWS
    )
    samples = np.array([describe_metric(np.array([[a, b], [b, c]])) for a, b, c in draws])
    turn = (samples[:, 3] - angle + 90.0) % 180.0 - 90.0
    return GoldCalibration(
        pixel_size_A=pixel_A,
        pixel_size_sd_A=float(np.std(samples[:, 0])),
        scale_major=major,
        scale_minor=minor,
        angle_deg=angle,
        anisotropy=major / minor - 1.0,
        anisotropy_sd=float(np.std(samples[:, 1] / samples[:, 2])),
        angle_sd_deg=float(np.std(turn)),
        reduced_chi2=chi2,
        rings=[_ring_summary(ring, g) for ring in rings],
    )


def _ring_summary(ring: RingPoints, g: np.ndarray) -> dict:
    """Return a ring's points and the pixel size it alone implies (a consistency check)."""
    u = np.stack([np.cos(ring.azimuth_rad), np.sin(ring.azimuth_rad)])
    fitted = 1.0 / (ring.d_A * np.sqrt(np.einsum("in,ij,jn->n", u, g, u)))
    own_scale = float(np.median(ring.radius / fitted))
    return {
        "hkl": ring.hkl,
        "d_A": ring.d_A,
        "n_sectors": int(ring.radius.size),
        "pixel_size_A": describe_metric(g)[0] * own_scale,
        "azimuth_deg": np.degrees(ring.azimuth_rad).tolist(),
        "radius_cycles_per_px": ring.radius.tolist(),
        "radius_sd": ring.radius_sd.tolist(),
        "fitted_radius": fitted.tolist(),
    }
