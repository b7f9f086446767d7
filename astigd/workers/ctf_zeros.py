"""Where the CTF is zero (the Thon-ring ellipses a fit predicts), and a spectrum to see them on."""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

from astigd.workers.ctf import Optics, defocus_at_azimuth_A
from astigd.workers.diagnostics import full_plane
from astigd.workers.spectrum import PowerSpectrum


def zero_ring_k_invA(
    order: float,
    defocus_mean_nm: float,
    astig_vec_nm: tuple[float, float],
    optics: Optics,
    azimuths_rad: np.ndarray,
) -> np.ndarray:
    """Return |k| (Å⁻¹) where chi = order·π at each azimuth (whole orders: zeros); NaN if none."""
    cos2, sin2 = np.cos(2 * azimuths_rad), np.sin(2 * azimuths_rad)
    defocus_A = defocus_at_azimuth_A(defocus_mean_nm, *astig_vec_nm, cos2, sin2)
    lam = optics.wavelength_A
    a = -0.5 * math.pi * optics.cs_A * lam**3  # chi = a·u² + b·u + c0 with u = k²
    b = math.pi * lam * np.asarray(defocus_A, dtype=float)
    c = optics.constant_phase - order * math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(b * b - 4.0 * a * c)
        u = 2.0 * c / (-b - root)  # the smaller positive root, stable as Cs → 0
    return np.where(np.isfinite(u) & (u > 0), np.sqrt(u), np.nan)


def flattened_log_spectrum(spectrum: PowerSpectrum, smooth_px: float = 1.0) -> np.ndarray:
    """Return the centred full-plane log spectrum, lightly smoothed, minus its rotational average.

    Removing the rotational average flattens the background so the rings stand out.
    """
    image = full_plane(np.log(np.maximum(spectrum.power, np.finfo(float).tiny)))
    image = gaussian_filter(image, smooth_px) if smooth_px > 0 else image
    box = image.shape[0]
    y, x = np.indices(image.shape) - box // 2
    shell = np.rint(np.hypot(x, y)).astype(np.intp)
    sums = np.bincount(shell.ravel(), image.ravel())
    counts = np.maximum(np.bincount(shell.ravel()), 1)
    flat = image - (sums / counts)[shell]
    flat[box // 2, box // 2] = 0.0
    return flat
