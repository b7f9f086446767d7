"""Beam-tilt-induced displacement (BTID): from image shifts to defocus and astigmatism.

A beam tilt τ (mrad) shifts the image by the gradient of the wave aberration at τ. In frame
pixels, for tilts ±τ about the current tilt, the difference of the two shifts is 2·G·τ, and

    G = −S·(df·I + ½·[[a₁, a₂], [a₂, −a₁]])·c·R + P

(S the anisotropic magnification, c·R the tilt coils' scale and turn into the frame, P the
pivot-point error and the Cs·|τ|² term, constant for a fixed |τ|). The focus response
G_f = ∂G/∂df measured by changing the focus therefore maps any change of G back to a change of
the aberration matrix: H = ΔG·G_f⁻¹ = Δdf·I + ½·ΔA, to first order. The defocus-driven part of
the astigmatism (the lens slope K) is not in ΔA (G_f carries it), see docs/btid.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def tilt_directions(n_directions: int, tilt_mrad: float) -> np.ndarray:
    """Return n tilt vectors (mrad) of one magnitude, evenly spread over half a turn."""
    if n_directions < 2 or not tilt_mrad > 0:
        raise ValueError("need at least 2 directions and a positive tilt")
    angles = np.pi * np.arange(n_directions) / n_directions
    return tilt_mrad * np.column_stack([np.cos(angles), np.sin(angles)])


@dataclass(frozen=True)
class ShiftMatrix:
    """G (pixels of shift per mrad of tilt, from ± pairs) with the fit's rms residual (px)."""

    matrix: np.ndarray
    residual_rms_px: float
    sigma: float  # standard error of each element of G, px per mrad


def fit_shift_matrix(tilts_mrad: np.ndarray, differences_px: np.ndarray) -> ShiftMatrix:
    """Solve differences = 2·G·τ by least squares over the tilt directions."""
    tilts, diffs = np.asarray(tilts_mrad, float), np.asarray(differences_px, float)
    design = 2.0 * tilts  # rows: 2·τ_j; each image axis is one regression
    solution, *_ = np.linalg.lstsq(design, diffs, rcond=None)
    residual = diffs - design @ solution
    dof = max(residual.size - solution.size, 1)
    rms = math.sqrt(float(np.sum(residual**2)) / dof)
    scale = math.sqrt(float(np.max(np.diag(np.linalg.inv(design.T @ design)))))
    return ShiftMatrix(solution.T, rms, rms * scale)


def aberration_change(delta_g: np.ndarray, focus_response: np.ndarray) -> np.ndarray:
    """Return H = ΔG·G_f⁻¹ = Δdf·I + ½·ΔA (nm) for a change of G."""
    return np.asarray(delta_g, float) @ np.linalg.inv(np.asarray(focus_response, float))


def defocus_of(h: np.ndarray) -> float:
    """Return the defocus part (nm) of an aberration matrix."""
    return 0.5 * float(h[0, 0] + h[1, 1])


def astig_of(h: np.ndarray) -> np.ndarray:
    """Return the astigmatism vector (nm, doubled-angle) of an aberration matrix."""
    return np.array([h[0, 0] - h[1, 1], h[0, 1] + h[1, 0]], dtype=float)


def skew_of(h: np.ndarray) -> float:
    """Return the antisymmetric part (nm) of an aberration matrix: zero for a consistent model."""
    return 0.5 * float(h[0, 1] - h[1, 0])


def stigmator_matrix(responses: list[np.ndarray], focus_response: np.ndarray) -> np.ndarray:
    """Return the astigmatism response (nm per unit, columns MX, MY) from ∂G/∂stig per axis."""
    return np.column_stack([astig_of(aberration_change(g, focus_response)) for g in responses])


def astig_sigma_nm(g_sigma: float, focus_response: np.ndarray) -> float:
    """Return the standard error (nm) of the astigmatism magnitude for an element error of G."""
    gain = math.sqrt(abs(float(np.linalg.det(focus_response))))  # px per mrad per nm
    return 2.0 * g_sigma / gain if gain > 0 else math.inf
