"""1D search: the mean defocus that best explains a radial profile over a smooth background.

The profile is modelled as P(k) = B(k) + E(k)·sin²chi(k; df), with B and E smooth splines solved
by linear least squares for every trial defocus (variable projection). The evidence for a trial
is the χ² it gains over the background alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from astigd.workers.ctf import Optics

MIN_SAMPLES_PER_RING = 2.2
SMOOTHING = 1e-3  # second-difference penalty on spline coefficients, relative to the data term


@dataclass(frozen=True)
class RadialFit:
    """Background and ring envelope along |k| (spline coefficients) for one mean defocus."""

    defocus_nm: float
    background: np.ndarray
    envelope: np.ndarray
    delta_chi2: float


def ring_phase(k2_invA2: np.ndarray, defocus_nm: np.ndarray | float, optics: Optics) -> np.ndarray:
    """Return chi for each (trial defocus, k²) pair, broadcasting defocus over leading axes."""
    lam = optics.wavelength_A
    defocus_A = 10.0 * np.asarray(defocus_nm, dtype=float)[..., None]
    return (
        np.pi * lam * k2_invA2 * defocus_A
        - 0.5 * np.pi * optics.cs_A * lam**3 * k2_invA2**2
        + optics.constant_phase
    )


def resolvable(k_invA: np.ndarray, defocus_nm, optics: Optics, step_invA: float) -> np.ndarray:
    """Return where rings are at least MIN_SAMPLES_PER_RING samples apart (no aliasing)."""
    lam = optics.wavelength_A
    defocus_A = 10.0 * np.asarray(defocus_nm, dtype=float)[..., None]
    slope = np.abs(
        2 * np.pi * lam * k_invA * defocus_A - 2 * np.pi * optics.cs_A * lam**3 * k_invA**3
    )
    return np.pi / np.maximum(slope, 1e-12) >= MIN_SAMPLES_PER_RING * step_invA


def box_for_rings(defocus_nm: float, k_max_invA: float, optics: Optics, min_box_px: int) -> int:
    """Return the smallest power-of-two box (≥ min_box_px) that resolves the rings up to k_max."""
    needed = MIN_SAMPLES_PER_RING * 2 * optics.wavelength_A * k_max_invA * 10.0 * defocus_nm
    box = min_box_px
    while box * optics.pixel_size_A < needed:
        box *= 2
    return box


def defocus_grid_nm(low_nm: float, high_nm: float, k_max_invA: float, optics: Optics) -> np.ndarray:
    """Return trial defoci spaced so that the phase at k_max moves by at most π/4 a step."""
    step_nm = 1.0 / (4.0 * optics.wavelength_A * k_max_invA**2) / 10.0
    count = max(3, int(np.ceil((high_nm - low_nm) / step_nm)) + 1)
    return np.linspace(low_nm, high_nm, count)


@lru_cache(maxsize=8)
def _roughness(n_basis: int, blocks: int) -> np.ndarray:
    """Return the P-spline penalty DᵀD (second differences) for each block of coefficients."""
    second = np.diff(np.eye(n_basis), n=2, axis=0)
    penalty = np.kron(np.eye(blocks), second.T @ second + 1e-6 * np.eye(n_basis))
    penalty.setflags(write=False)
    return penalty


def _solve(gram: np.ndarray, rhs: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.einsum("...ii->...i", gram).mean(axis=-1), 1e-300)
    regularised = gram + SMOOTHING * scale[..., None, None] * penalty
    return np.linalg.solve(regularised, rhs[..., None])[..., 0]


def fit_profiles(
    y: np.ndarray,
    weight: np.ndarray,
    basis: np.ndarray,
    rings: np.ndarray,
    mask: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve B, E for every trial (rows of `rings` = sin²chi); return (ΔΧ², B coef, E coef)."""
    n_basis = basis.shape[1]
    pairs = (basis[:, :, None] * basis[:, None, :]).reshape(len(basis), -1)
    w = mask * weight
    ws, wss = w * rings, w * rings**2
    g11, g12, g22 = ((m @ pairs).reshape(-1, n_basis, n_basis) for m in (w, ws, wss))
    gram = np.block([[g11, g12], [g12, g22]])
    h1, h2 = (w * y) @ basis, (ws * y) @ basis
    coef = _solve(gram, np.concatenate([h1, h2], axis=-1), _roughness(n_basis, 2))
    coef0 = _solve(g11, h1, _roughness(n_basis, 1))
    gain = np.einsum("ji,ji->j", coef, np.concatenate([h1, h2], axis=-1)) - np.einsum(
        "ji,ji->j", coef0, h1
    )
    envelope_mean = np.einsum("jb,bi,ji->j", w, basis, coef[:, n_basis:])
    gain = np.where(envelope_mean > 0, gain, 0.0)
    return gain, coef[:, :n_basis], coef[:, n_basis:]


def search_mean_defocus(
    y: np.ndarray,
    weight: np.ndarray,
    k_invA: np.ndarray,
    basis: np.ndarray,
    trials_nm: np.ndarray,
    optics: Optics,
    step_invA: float,
) -> RadialFit:
    """Scan trial defoci over a radial profile, then refine the best on a finer local grid."""
    gains = _gains(y, weight, k_invA, basis, trials_nm, optics, step_invA)
    best = int(np.argmax(gains[0]))
    low = trials_nm[max(best - 1, 0)]
    high = trials_nm[min(best + 1, len(trials_nm) - 1)]
    fine = np.linspace(low, high, 33)
    gain, background, envelope = _gains(y, weight, k_invA, basis, fine, optics, step_invA)
    top = int(np.argmax(gain))
    defocus = _parabolic_peak(fine, gain, top)
    return RadialFit(defocus, background[top], envelope[top], float(gain[top]))


def _gains(y, weight, k_invA, basis, trials_nm, optics, step_invA):
    rings = np.sin(ring_phase(k_invA**2, trials_nm, optics)) ** 2
    mask = resolvable(k_invA, trials_nm, optics, step_invA)
    return fit_profiles(y, weight, basis, rings, mask)


def _parabolic_peak(x: np.ndarray, y: np.ndarray, i: int) -> float:
    if i == 0 or i == len(x) - 1:
        return float(x[i])
    denom = y[i - 1] - 2 * y[i] + y[i + 1]
    if denom >= 0:
        return float(x[i])
    shift = 0.5 * (y[i - 1] - y[i + 1]) / denom
    return float(x[i] + shift * (x[i + 1] - x[i]))
