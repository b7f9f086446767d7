"""Gold powder rings in a power spectrum: their radius at each azimuth, sector by sector.

A ring of spacing d lies where the physical frequency is 1/d. With M the map from frame
frequencies f (cycles/pixel) to physical ones (Å⁻¹), k = M·f, the ring is the ellipse
|M·f| = 1/d. Each azimuth sector's pixels are binned by t = |M·f| under the current estimate of
M, and a Gaussian peak on a linear background locates the ring in t; the ring radius along the
sector's centre direction u is then r = t_peak/|M·u|, with its uncertainty from the fit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from astigd.workers.spectrum import PowerSpectrum

GOLD_LATTICE_A = 4.0782  # face-centred cubic gold at room temperature
AU_111_A = GOLD_LATTICE_A / math.sqrt(3.0)  # 2.355 Å
AU_200_A = GOLD_LATTICE_A / 2.0  # 2.039 Å
GOLD_SPACINGS_A = {"111": AU_111_A, "200": AU_200_A}
MIN_PEAK_SIGNIFICANCE = 4.0


@dataclass(frozen=True)
class RingPoints:
    """Measured radii of one ring: sector azimuths (rad), radii and errors (cycles/pixel)."""

    hkl: str
    d_A: float
    azimuth_rad: np.ndarray
    radius: np.ndarray
    radius_sd: np.ndarray


def frame_frequencies(spectrum: PowerSpectrum) -> tuple[np.ndarray, np.ndarray]:
    """Return fx, fy (cycles/pixel) of the half-plane spectrum's samples, x = column, y = row."""
    box = spectrum.box_px
    fy = np.fft.fftfreq(box)[:, None]
    fx = np.fft.rfftfreq(box)[None, :]
    return np.broadcast_to(fx, spectrum.power.shape), np.broadcast_to(fy, spectrum.power.shape)


def ring_points(
    spectrum: PowerSpectrum,
    hkl: str,
    d_A: float,
    transform: np.ndarray,
    n_sectors: int = 36,
    window: float = 0.03,
) -> RingPoints:
    """Locate one ring in n_sectors azimuth sectors over 180° (the spectrum is centrosymmetric).

    `transform` is the current M (Å⁻¹ per cycle/pixel); pixels within ±window (relative) of
    t = 1/d are used. Sectors without a significant peak are left out.
    """
    fx, fy = frame_frequencies(spectrum)
    kx = transform[0, 0] * fx + transform[0, 1] * fy
    ky = transform[1, 0] * fx + transform[1, 1] * fy
    t = np.hypot(kx, ky)
    target = 1.0 / d_A
    near = np.abs(t / target - 1.0) < window
    azimuth = np.mod(np.arctan2(fy[near], fx[near]), math.pi)
    sector = np.minimum((azimuth / math.pi * n_sectors).astype(int), n_sectors - 1)
    values, t_near = spectrum.power[near], t[near]
    step = 0.5 * np.sqrt(abs(np.linalg.det(transform))) / spectrum.box_px
    found = []
    for index in range(n_sectors):
        mine = sector == index
        peak = _sector_peak(t_near[mine], values[mine], target, step)
        if peak is not None:
            centre = (index + 0.5) * math.pi / n_sectors
            scale = np.linalg.norm(transform @ np.array([math.cos(centre), math.sin(centre)]))
            found.append((centre, peak[0] / scale, peak[1] / scale))
    points = np.array(found).reshape(-1, 3)
    return RingPoints(hkl, d_A, points[:, 0], points[:, 1], points[:, 2])


def _peak_model(x: np.ndarray, base: float, slope: float, height: float, centre: float, width):
    return base + slope * x + height * np.exp(-0.5 * ((x - centre) / width) ** 2)


def _binned(t: np.ndarray, values: np.ndarray, step: float):
    """Return bin centres, means and standard errors of values binned by t (≥ 3 per bin)."""
    edges = np.arange(t.min(), t.max() + step, step)
    bins = np.digitize(t, edges)
    counts = np.bincount(bins, minlength=len(edges) + 1)
    sums = np.bincount(bins, values, minlength=len(edges) + 1)
    squares = np.bincount(bins, values * values, minlength=len(edges) + 1)
    used = counts >= 3
    mean = sums[used] / counts[used]
    spread = np.sqrt(np.maximum(squares[used] / counts[used] - mean**2, 1e-30 * mean.max() ** 2))
    lefts = np.concatenate([[edges[0] - step], edges])
    return lefts[used] + 0.5 * step, mean, spread / np.sqrt(counts[used])


def _sector_peak(
    t: np.ndarray, values: np.ndarray, target: float, step: float
) -> tuple[float, float] | None:
    """Return (t_peak, sd) of the ring in one sector's pixels, or None if no clear peak."""
    if t.size < 20:
        return None
    centres, mean, sd = _binned(t, values, step)
    if centres.size < 8:
        return None
    level = float(np.median(mean))
    x, y, y_sd = centres / target - 1.0, mean / level, sd / level
    guess = (1.0, 0.0, y.max() - 1.0, x[np.argmax(y)], 4.0 * step / target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, cov = curve_fit(_peak_model, x, y, p0=guess, sigma=y_sd, maxfev=4000)
    except (RuntimeError, ValueError):
        return None
    height, centre, width = params[2], params[3], abs(params[4])
    errors = np.sqrt(np.maximum(np.diag(cov), 0.0))
    plausible = abs(centre) < 0.05 and step / target < width < 0.03
    if not (plausible and height > MIN_PEAK_SIGNIFICANCE * errors[2] and 0 < errors[3] < width):
        return None
    return float(target * (1.0 + centre)), float(target * errors[3])
