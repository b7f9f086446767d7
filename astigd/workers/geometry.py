"""Where each spectrum sample lies in physical frequency space, and smooth radial bases."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.interpolate

from astigd.workers.anisotropy import AnisoMag

SPLINE_DEGREE = 3
SPLINE_INTERVALS = 6
CURVE_TABLE_SIZE = 512


@dataclass(frozen=True)
class SpectrumGeometry:
    """The half-plane spectrum samples inside an annulus, with their physical frequencies."""

    flat_index: np.ndarray  # indices into power.ravel()
    k_invA: np.ndarray  # physical |k| after any anisotropic-magnification correction
    k2_invA2: np.ndarray
    cos2phi: np.ndarray
    sin2phi: np.ndarray
    radial_bin: np.ndarray  # index of the 1-sample-wide |k| shell each sample falls in
    bin_k_invA: np.ndarray  # mean |k| of each shell
    bin_count: np.ndarray
    k_min_invA: float
    k_max_invA: float
    step_invA: float

    def spline_basis(self, k_invA: np.ndarray) -> np.ndarray:
        """Return cubic B-spline basis functions over the annulus, evaluated at k."""
        return _spline_basis(k_invA, self.k_min_invA, self.k_max_invA)

    def smooth_curve(self, coefficients: np.ndarray, k_invA: np.ndarray) -> np.ndarray:
        """Evaluate a spline over the annulus at many k, by interpolating a fine tabulation."""
        table_k = np.linspace(self.k_min_invA, self.k_max_invA, CURVE_TABLE_SIZE)
        return np.interp(k_invA, table_k, self.spline_basis(table_k) @ coefficients)


def _spline_basis(k_invA: np.ndarray, k_min: float, k_max: float) -> np.ndarray:
    inner = np.linspace(k_min, k_max, SPLINE_INTERVALS + 1)
    knots = np.r_[[k_min] * SPLINE_DEGREE, inner, [k_max] * SPLINE_DEGREE]
    clipped = np.clip(k_invA, k_min, np.nextafter(k_max, k_min))
    basis = scipy.interpolate.BSpline.design_matrix(clipped, knots, SPLINE_DEGREE)
    return basis.toarray()


@lru_cache(maxsize=16)
def spectrum_geometry(
    box_px: int,
    pixel_size_A: float,
    k_min_invA: float,
    k_max_invA: float,
    aniso: AnisoMag | None = None,
) -> SpectrumGeometry:
    """Select the annulus of samples to fit and compute their physical coordinates."""
    ky, kx = np.meshgrid(
        np.fft.fftfreq(box_px) / pixel_size_A, np.fft.rfftfreq(box_px) / pixel_size_A, indexing="ij"
    )
    if aniso is not None:
        kx, ky = aniso.physical_frequencies(kx, ky)
    k2 = kx**2 + ky**2
    k = np.sqrt(k2)
    keep = (k >= k_min_invA) & (k <= k_max_invA)
    keep[box_px // 2 :, 0] = False  # the x = 0 column holds each sample twice (Hermitian)
    flat = np.flatnonzero(keep)
    k_sel, k2_sel = k.ravel()[flat], k2.ravel()[flat]
    phi = np.arctan2(ky.ravel()[flat], kx.ravel()[flat])
    step = 1.0 / (box_px * pixel_size_A)
    shells = np.floor((k_sel - k_min_invA) / step).astype(np.intp)
    counts = np.bincount(shells)
    bin_k = np.bincount(shells, weights=k_sel) / np.maximum(counts, 1)
    return SpectrumGeometry(
        flat, k_sel, k2_sel, np.cos(2 * phi), np.sin(2 * phi), shells, bin_k, counts,
        k_min_invA, k_max_invA, step,
    )  # fmt: skip
