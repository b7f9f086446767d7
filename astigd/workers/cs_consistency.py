"""Cs / pixel-size consistency: fit Cs as a free parameter over a defocus series.

Pixel size and Cs are degenerate in a CTF fit: with a declared pixel size p_nominal and a true
one p_true, the fitted defocus scales by (p_nominal/p_true)² and the fitted Cs by the fourth
power. Each frame's Thon rings are fitted as usual (Cs fixed) for defocus and astigmatism; the
elliptically averaged ring profile is then matched against sin²χ(k) over a grid of Cs and
defocus, jointly over the series (one Cs, a defocus per frame). The implied pixel-size error is
(Cs_fit/Cs_nominal)^(1/4) − 1 = p_nominal/p_true − 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import uniform_filter1d

from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics, ctf_phase
from astigd.workers.fit import FitSettings, fit_frame

SCALE_ERRORS = np.linspace(-0.08, 0.08, 81)  # trial p_nominal/p_true − 1
DEFOCUS_SPAN = 0.12  # trial defoci: ±12 % around each frame's fit (covers ±8 % scale²)
DEFOCUS_TRIALS = 121
FINE_TRIALS = 21  # within one coarse step either side of the best coarse defocus
DETREND_SHELLS = 15
MIN_RES_A = 20.0


@dataclass(frozen=True)
class CsConsistency:
    """The Cs-free fit: implied pixel-size error, Cs, defocus bias and per-frame values."""

    cs_fit_mm: float
    cs_nominal_mm: float
    pixel_size_error: float  # (Cs_fit/Cs_nominal)^(1/4) − 1
    pixel_size_error_sd: float
    defocus_bias_fraction: float  # fitted/true defocus − 1 with Cs fixed: (1 + error)² − 1
    frame_errors: list[float]
    frame_defocus_nm: list[float]
    frames_skipped: int = 0  # frames whose Cs-fixed fit was unreliable


def ring_profile(frame: np.ndarray, optics: Optics, settings: FitSettings, aniso: AnisoMag | None):
    """Fit a frame (Cs fixed); return its detrended ring profile (k Å⁻¹, y) and defocus.

    Return None when the fit is unreliable: its rings cannot say anything about Cs.
    """
    fit = fit_frame(frame, optics, settings, aniso, diagnostics=True)
    if not fit.reliable or fit.diagnostics is None:
        return None
    k, y = fit.diagnostics.radial_frequency_invA, fit.diagnostics.radial_data
    keep = np.isfinite(y) & (k > 1.0 / MIN_RES_A) & (k < 1.0 / fit.resolution_A)
    return k[keep], _detrend(y[keep]), fit.defocus_mean_nm


def _detrend(values: np.ndarray) -> np.ndarray:
    """Return values minus their running mean along the last axis (removes the background)."""
    return values - uniform_filter1d(values, DETREND_SHELLS, axis=-1, mode="constant")


def match_curve(k: np.ndarray, y: np.ndarray, optics: Optics, defocus_nm: float) -> np.ndarray:
    """Return, per trial scale error, the best correlation of sin²χ with y over defocus."""
    coarse_A = 10.0 * defocus_nm * np.linspace(1 - DEFOCUS_SPAN, 1 + DEFOCUS_SPAN, DEFOCUS_TRIALS)
    fine = np.linspace(-1.0, 1.0, FINE_TRIALS) * (coarse_A[1] - coarse_A[0])
    y = y / np.linalg.norm(y)
    best = np.empty(len(SCALE_ERRORS))
    for index, error in enumerate(SCALE_ERRORS):
        trial = replace(optics, cs_mm=optics.cs_mm * (1.0 + error) ** 4)
        start = coarse_A[np.argmax(_correlations(k, y, trial, coarse_A))]
        best[index] = float(np.max(_correlations(k, y, trial, start + fine)))
    return best


def _correlations(k: np.ndarray, y: np.ndarray, optics: Optics, defoci_A: np.ndarray):
    """Return the correlation of the detrended sin²χ with y (unit norm) for each defocus."""
    model = np.sin(ctf_phase((k * k)[None, :], defoci_A[:, None], optics)) ** 2
    model = _detrend(model)
    return (model @ y) / np.linalg.norm(model, axis=1)


def _peak(curve: np.ndarray) -> float:
    """Return the scale error at the curve's maximum, refined by a parabola."""
    i = int(np.clip(np.argmax(curve), 1, len(curve) - 2))
    left, mid, right = curve[i - 1 : i + 2]
    denominator = left - 2.0 * mid + right
    shift = 0.5 * (left - right) / denominator if denominator < 0 else 0.0
    return float(SCALE_ERRORS[i] + np.clip(shift, -1.0, 1.0) * (SCALE_ERRORS[1] - SCALE_ERRORS[0]))


def check_cs(
    frames: list[np.ndarray],
    optics: Optics,
    settings: FitSettings,
    aniso: AnisoMag | None = None,
) -> CsConsistency:
    """Fit Cs jointly over the frames of a defocus series and return the implied scale error.

    Frames whose usual fit is unreliable are skipped; at least two must remain.
    """
    profiles = [ring_profile(frame, optics, settings, aniso) for frame in frames]
    usable = [profile for profile in profiles if profile is not None]
    if len(usable) < 2:
        raise ValueError(f"only {len(usable)} of {len(frames)} frames could be fitted; need two")
    curves = [match_curve(k, y, optics, defocus_nm) for k, y, defocus_nm in usable]
    error = _peak(np.sum(curves, axis=0))
    per_frame = [_peak(curve) for curve in curves]
    spread = float(np.std(per_frame, ddof=1) / np.sqrt(len(per_frame)))
    return CsConsistency(
        cs_fit_mm=optics.cs_mm * (1.0 + error) ** 4,
        cs_nominal_mm=optics.cs_mm,
        pixel_size_error=error,
        pixel_size_error_sd=spread,
        defocus_bias_fraction=(1.0 + error) ** 2 - 1.0,
        frame_errors=per_frame,
        frame_defocus_nm=[defocus_nm for _, _, defocus_nm in usable],
        frames_skipped=len(frames) - len(usable),
    )
