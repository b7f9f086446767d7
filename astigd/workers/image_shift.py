"""The shift between two images of the same area: band-passed cross-correlation, sub-pixel peak.

Both images are tapered at the edges, the cross-power spectrum is band-passed (a Gaussian
low-pass against shot noise, a high-pass against uneven illumination), and the correlation
peak is located to a fraction of a pixel with a three-point Gaussian fit on each axis (the
band-passed peak is close to Gaussian, so the fit is nearly unbiased).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

TAPER_FRACTION = 0.1  # of each side, cosine-tapered to zero
LOW_PASS_CYCLES_PER_PX = 0.25
HIGH_PASS_CYCLES_PER_PX = 0.005  # below this the spectrum is suppressed
EXCLUDE_PX = 6  # half-width of the peak's neighbourhood left out of the background
MIN_PEAK_SIGMAS = 8.0  # a peak this many background σ above the background is trusted


@dataclass(frozen=True)
class ImageShift:
    """Where `moved` lies relative to `reference`, in pixels (x = column, y = row)."""

    shift_x_px: float
    shift_y_px: float
    peak_sigmas: float  # peak height over the background's σ
    correlation: float  # normalized correlation coefficient at the peak, 0..1

    @property
    def reliable(self) -> bool:
        """Return whether the peak stands clearly above the background."""
        return self.peak_sigmas >= MIN_PEAK_SIGMAS and math.isfinite(self.shift_x_px)


def measure_shift(reference: np.ndarray, moved: np.ndarray) -> ImageShift:
    """Return the shift of `moved` relative to `reference` (same shape, 2D)."""
    if reference.shape != moved.shape or reference.ndim != 2 or min(reference.shape) < 16:
        raise ValueError(f"need two 2D images of one shape ≥ 16 px, got {reference.shape}, "
                         f"{moved.shape}")  # fmt: skip
    window = _taper(reference.shape)
    a = scipy.fft.rfft2(_prepared(reference, window))
    b = scipy.fft.rfft2(_prepared(moved, window))
    weight = _band_pass(reference.shape)
    cross = np.conj(a) * b * weight
    energy = math.sqrt(_energy(a, weight) * _energy(b, weight))
    surface = scipy.fft.irfft2(cross, s=reference.shape)
    row, col = np.unravel_index(int(np.argmax(surface)), surface.shape)
    dy, dx = _subpixel(surface, row, col)
    rows, cols = surface.shape
    shift_y, shift_x = _signed(row, rows) + dy, _signed(col, cols) + dx
    correlation = float(surface[row, col] * surface.size / energy) if energy > 0 else 0.0
    return ImageShift(shift_x, shift_y, _peak_sigmas(surface, row, col), correlation)


def _prepared(image: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Return the image minus its mean, times the taper."""
    data = np.asarray(image, dtype=np.float64)
    return (data - data.mean()) * window


def _taper(shape: tuple[int, int]) -> np.ndarray:
    """Return a separable window that is 1 inside and falls to 0 at the edges (cosine)."""
    return np.outer(*(_taper_1d(n) for n in shape))


def _taper_1d(n: int) -> np.ndarray:
    width = max(1, int(TAPER_FRACTION * n))
    edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(width) + 0.5) / width)
    window = np.ones(n)
    window[:width], window[n - width :] = edge, edge[::-1]
    return window


def _band_pass(shape: tuple[int, int]) -> np.ndarray:
    """Return the band-pass weight on the rfft2 half plane."""
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    f2 = fx * fx + fy * fy
    low = np.exp(-0.5 * f2 / LOW_PASS_CYCLES_PER_PX**2)
    return low * (1.0 - np.exp(-0.5 * f2 / HIGH_PASS_CYCLES_PER_PX**2))


def _energy(spectrum: np.ndarray, weight: np.ndarray) -> float:
    """Return the weighted energy of a half-plane spectrum (columns past the first count twice)."""
    power = np.abs(spectrum) ** 2 * weight
    return float(2.0 * power.sum() - power[:, 0].sum())


def _subpixel(surface: np.ndarray, row: int, col: int) -> tuple[float, float]:
    """Return the (row, column) offsets of the true peak from the integer maximum."""
    rows, cols = surface.shape
    along_y = [surface[(row + k) % rows, col] for k in (-1, 0, 1)]
    along_x = [surface[row, (col + k) % cols] for k in (-1, 0, 1)]
    return _gaussian_vertex(along_y), _gaussian_vertex(along_x)


def _gaussian_vertex(values: list[float]) -> float:
    """Return the vertex of a Gaussian through three samples (a parabola if any is ≤ 0)."""
    left, centre, right = values
    if min(values) > 0:
        left, centre, right = math.log(left), math.log(centre), math.log(right)
    curvature = left - 2.0 * centre + right
    if curvature >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def _signed(index: int, size: int) -> int:
    """Return a circular index as a signed displacement."""
    return index - size if index > size // 2 else index


def _peak_sigmas(surface: np.ndarray, row: int, col: int) -> float:
    """Return how many background σ the peak stands above the background's mean."""
    shifted = np.roll(surface, (surface.shape[0] // 2 - row, surface.shape[1] // 2 - col), (0, 1))
    mask = np.ones(surface.shape, dtype=bool)
    r0, c0 = surface.shape[0] // 2, surface.shape[1] // 2
    mask[r0 - EXCLUDE_PX : r0 + EXCLUDE_PX + 1, c0 - EXCLUDE_PX : c0 + EXCLUDE_PX + 1] = False
    background = shifted[mask]
    spread = float(background.std())
    return float((surface[row, col] - background.mean()) / spread) if spread > 0 else 0.0
