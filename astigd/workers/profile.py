"""Radial profiles of spectrum samples: plain, and equiphase (along the fitted ellipses)."""

from __future__ import annotations

import numpy as np

from astigd.workers.ctf import Optics

TREND_DEGREE = 4


def shell_means(
    values: np.ndarray, shells: np.ndarray, size: int, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the (weighted) mean of values per shell index, and the summed weights."""
    counts = np.bincount(shells, weights=weights, minlength=size)
    sums = np.bincount(
        shells, weights=values if weights is None else values * weights, minlength=size
    )
    return sums / np.maximum(counts, 1e-300), counts


def log_trend(k_invA: np.ndarray, means: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return polynomial coefficients (in k) of the log of a falling radial profile."""
    used = (counts > 0) & (means > 0)
    return np.polyfit(k_invA[used], np.log(means[used]), TREND_DEGREE, w=np.sqrt(counts[used]))


def equivalent_k(
    k2_invA2: np.ndarray, defocus_nm: np.ndarray, mean_defocus_nm: float, optics: Optics
) -> np.ndarray:
    """Return the |k| at which a stigmatic CTF at the mean defocus has each sample's phase."""
    lam = optics.wavelength_A
    quadratic = 0.5 * np.pi * optics.cs_A * lam**3
    linear_per_nm = 10.0 * np.pi * lam
    target = linear_per_nm * defocus_nm * k2_invA2 - quadratic * k2_invA2**2
    linear = linear_per_nm * mean_defocus_nm
    if quadratic == 0:
        return np.sqrt(np.maximum(target / linear, 0.0))
    discriminant = np.maximum(linear**2 - 4 * quadratic * target, 0.0)
    q = 2 * target / (linear + np.sqrt(discriminant))  # stable root of linear·q − quadratic·q² = t
    return np.sqrt(np.maximum(q, 0.0))
