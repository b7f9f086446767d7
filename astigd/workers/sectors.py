"""First astigmatism estimate: a 1D defocus search in each azimuthal sector of the spectrum."""

from __future__ import annotations

import numpy as np

from astigd.workers.ctf import Optics
from astigd.workers.geometry import SpectrumGeometry
from astigd.workers.radial import RadialFit, resolvable, ring_phase

N_SECTORS = 12
MIN_SECTOR_GAIN = 9.0  # χ² gain of a 3σ detection


def sector_of(geometry: SpectrumGeometry) -> np.ndarray:
    """Return each sample's sector index, sectors being equal slices of the doubled azimuth."""
    two_phi = np.arctan2(geometry.sin2phi, geometry.cos2phi)
    return np.minimum(((two_phi + np.pi) / (2 * np.pi) * N_SECTORS).astype(np.intp), N_SECTORS - 1)


def sector_profiles(
    values: np.ndarray, geometry: SpectrumGeometry
) -> tuple[np.ndarray, np.ndarray]:
    """Return (mean, count) of `values` per (sector, |k| shell)."""
    n_bins = len(geometry.bin_count)
    index = sector_of(geometry) * n_bins + geometry.radial_bin
    size = N_SECTORS * n_bins
    counts = np.bincount(index, weights=geometry.count, minlength=size).reshape(N_SECTORS, n_bins)
    sums = np.bincount(index, weights=values * geometry.count, minlength=size)
    sums = sums.reshape(N_SECTORS, n_bins)
    return sums / np.maximum(counts, 1), counts


def initial_astigmatism(
    values: np.ndarray,
    n_tiles: int,
    geometry: SpectrumGeometry,
    radial: RadialFit,
    trials_nm: np.ndarray,
    optics: Optics,
) -> tuple[float, float, float]:
    """Estimate (mean defocus, astig_x, astig_y) in nm from per-sector best defoci."""
    means, counts = sector_profiles(values, geometry)
    basis = geometry.spline_basis(geometry.bin_k_invA)
    background, envelope = basis @ radial.background, basis @ radial.envelope
    residual = means - background - 0.5 * envelope
    weight = counts * n_tiles
    template = envelope * (np.sin(ring_phase(geometry.bin_k_invA**2, trials_nm, optics)) ** 2 - 0.5)
    template *= resolvable(geometry.bin_k_invA, trials_nm, optics, geometry.step_invA)
    score = (residual * weight) @ template.T
    norm = weight @ (template**2).T
    gain = np.where(score > 0, score**2 / np.maximum(norm, 1e-300), 0.0)
    best = np.argmax(gain, axis=1)
    found = gain[np.arange(N_SECTORS), best] >= MIN_SECTOR_GAIN
    if found.sum() < 4:
        return radial.defocus_nm, 0.0, 0.0
    return _fit_sinusoid(trials_nm[best][found], np.flatnonzero(found))


def _fit_sinusoid(defoci_nm: np.ndarray, sectors: np.ndarray) -> tuple[float, float, float]:
    two_phi = -np.pi + (sectors + 0.5) * (2 * np.pi / N_SECTORS)
    design = np.column_stack([np.ones_like(two_phi), 0.5 * np.cos(two_phi), 0.5 * np.sin(two_phi)])
    (mean, astig_x, astig_y), *_ = np.linalg.lstsq(design, defoci_nm, rcond=None)
    return float(mean), float(astig_x), float(astig_y)
