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
SAMPLES_PER_CELL = 4  # in boxes up to 1024; more in larger boxes (cell_size)
CELL_REFERENCE_BOX_PX = 1024


@dataclass(frozen=True)
class SpectrumGeometry:
    """Cells of the half-plane spectrum inside an annulus, with their physical frequencies.

    A cell groups neighbouring samples of one half-sample-wide shell (`cell_size`), so it keeps
    the full radial resolution that dense rings need while the fit touches fewer points.
    """

    flat_index: np.ndarray  # each selected sample's index into power.ravel()
    cell_of_sample: np.ndarray  # each selected sample's cell
    count: np.ndarray  # samples per cell
    k_invA: np.ndarray  # per cell: physical |k| after any anisotropic-magnification correction
    k2_invA2: np.ndarray
    cos2phi: np.ndarray
    sin2phi: np.ndarray
    radial_bin: np.ndarray  # per cell: index of the 1-sample-wide |k| shell it falls in
    bin_k_invA: np.ndarray  # mean |k| of each shell
    bin_count: np.ndarray  # samples per shell
    k_min_invA: float
    k_max_invA: float
    step_invA: float

    def cell_means(self, sample_values: np.ndarray) -> np.ndarray:
        """Average per-sample values (in flat_index order) over each cell."""
        sums = np.bincount(self.cell_of_sample, weights=sample_values, minlength=len(self.count))
        return sums / self.count

    def spline_basis(self, k_invA: np.ndarray) -> np.ndarray:
        """Return cubic B-spline basis functions over the annulus, evaluated at k."""
        return _spline_basis(k_invA, self.k_min_invA, self.k_max_invA)

    def smooth_curve(self, coefficients: np.ndarray, k_invA: np.ndarray) -> np.ndarray:
        """Evaluate a spline over the annulus at many k, by interpolating a fine tabulation."""
        table_k, table_basis = _curve_table(self.k_min_invA, self.k_max_invA)
        return np.interp(k_invA, table_k, table_basis @ coefficients)


@lru_cache(maxsize=16)
def _curve_table(k_min: float, k_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the fine k table of smooth_curve and the spline basis on it (read-only)."""
    table_k = np.linspace(k_min, k_max, CURVE_TABLE_SIZE)
    table_basis = _spline_basis(table_k, k_min, k_max)
    table_k.setflags(write=False)
    table_basis.setflags(write=False)
    return table_k, table_basis


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
    step = 1.0 / (box_px * pixel_size_A)
    phi = np.arctan2(ky.ravel()[flat], kx.ravel()[flat])
    cells = _cells(k.ravel()[flat] / step, phi, cell_size(box_px))
    count = np.bincount(cells).astype(float)
    k2_cell = np.bincount(cells, weights=k2.ravel()[flat]) / count
    cos_cell = np.bincount(cells, weights=np.cos(2 * phi))
    sin_cell = np.bincount(cells, weights=np.sin(2 * phi))
    norm = np.hypot(cos_cell, sin_cell)
    k_cell = np.sqrt(k2_cell)
    shells = np.floor((k_cell - k_min_invA) / step).astype(np.intp)
    bin_count = np.bincount(shells, weights=count)
    bin_k = np.bincount(shells, weights=k_cell * count) / np.maximum(bin_count, 1)
    return SpectrumGeometry(
        flat, cells, count, k_cell, k2_cell, cos_cell / norm, sin_cell / norm, shells, bin_k,
        bin_count, k_min_invA, k_max_invA, step,
    )  # fmt: skip


def cell_size(box_px: int) -> float:
    """Return the samples per cell: 4 up to a 1024 box, then in proportion to the box.

    In a larger box a cell then spans the same azimuth at a given |k| as in a 1024 box (where
    it was measured), and the fit's work grows with the box's side, not its area.
    """
    return SAMPLES_PER_CELL * max(1.0, box_px / CELL_REFERENCE_BOX_PX)


def _cells(radius_samples: np.ndarray, phi: np.ndarray, samples_per_cell: float) -> np.ndarray:
    """Group samples into cells: half-sample-wide shells cut into equal azimuth slices."""
    shell = np.floor(2.0 * radius_samples).astype(np.intp)
    shell -= shell.min()
    per_shell = np.bincount(shell)
    slices = np.maximum(np.round(per_shell / samples_per_cell), 1).astype(np.intp)
    offsets = np.concatenate([[0], np.cumsum(slices)[:-1]])
    azimuth = np.clip((phi + np.pi / 2) / np.pi, 0.0, 1.0 - 1e-12)
    index = offsets[shell] + (azimuth * slices[shell]).astype(np.intp)
    _, compact = np.unique(index, return_inverse=True)
    return compact
