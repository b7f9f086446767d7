"""The objective lens slope K: how astigmatism re-emerges as defocus moves (DESIGN.md §1)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from astigd.workers.astigmatism import wrap_angle_deg


@dataclass(frozen=True)
class LensSlope:
    """A(df) = A_ref + K·(df − df_ref), fitted by weighted least squares."""

    k_obj_nm_per_um: float  # |K|: nm of astigmatism per µm of defocus
    k_obj_se_nm_per_um: float
    angle_deg: float  # ½·atan2(Ky, Kx), the lens's axis
    angle_se_deg: float
    slope_nm_per_um: tuple[float, float]  # (Kx, Ky)
    reference_defocus_nm: float
    intercept_nm: tuple[float, float]  # A at the reference defocus
    r_squared: float
    n_points: int


def fit_lens_slope(
    defocus_nm: np.ndarray,
    astig_vectors_nm: np.ndarray,
    uncertainty_nm: np.ndarray | None = None,
    reference_defocus_nm: float | None = None,
) -> LensSlope:
    """Fit the astigmatism vector against defocus; weights are 1/uncertainty² when given."""
    defocus = np.asarray(defocus_nm, float)
    vectors = np.asarray(astig_vectors_nm, float)
    if len(defocus) < 3 or np.ptp(defocus) <= 0:
        raise ValueError("need at least 3 points spanning more than one defocus")
    weights = (
        np.ones_like(defocus) if uncertainty_nm is None else np.asarray(uncertainty_nm) ** -2.0
    )
    reference = (
        float(np.average(defocus, weights=weights))
        if reference_defocus_nm is None
        else reference_defocus_nm
    )
    design = np.column_stack([np.ones_like(defocus), (defocus - reference) / 1000.0])
    root_w = np.sqrt(weights)[:, None]
    coefficients, *_ = np.linalg.lstsq(design * root_w, vectors * root_w, rcond=None)
    residual = vectors - design @ coefficients
    dof = max(2 * len(defocus) - 4, 1)
    scatter = float((weights[:, None] * residual**2).sum() / dof)
    covariance = scatter * np.linalg.inv(design.T @ (design * weights[:, None]))
    return _summarise(coefficients, covariance[1, 1], vectors, residual, weights, reference)


def _summarise(coefficients, slope_variance, vectors, residual, weights, reference) -> LensSlope:
    kx, ky = coefficients[1]
    magnitude = math.hypot(kx, ky)
    slope_se = math.sqrt(slope_variance)  # per component, nm/µm
    centred = vectors - np.average(vectors, axis=0, weights=weights)
    total = float((weights[:, None] * centred**2).sum())
    r_squared = 1.0 - float((weights[:, None] * residual**2).sum()) / total if total > 0 else 0.0
    angle_se = math.degrees(0.5 * slope_se / magnitude) if magnitude > 0 else 90.0
    return LensSlope(
        k_obj_nm_per_um=magnitude,
        k_obj_se_nm_per_um=slope_se,
        angle_deg=wrap_angle_deg(0.5 * math.degrees(math.atan2(ky, kx))),
        angle_se_deg=min(angle_se, 90.0),
        slope_nm_per_um=(float(kx), float(ky)),
        reference_defocus_nm=reference,
        intercept_nm=(float(coefficients[0][0]), float(coefficients[0][1])),
        r_squared=r_squared,
        n_points=len(vectors),
    )


def per_step_statistics(defocus_nm: np.ndarray, astig_vectors_nm: np.ndarray) -> list[dict]:
    """Group repeated frames by defocus step; return each step's mean vector and RMSD (nm)."""
    defocus = np.asarray(defocus_nm, float)
    vectors = np.asarray(astig_vectors_nm, float)
    steps = []
    for value in np.unique(np.round(defocus, 1)):
        group = vectors[np.isclose(np.round(defocus, 1), value)]
        mean = group.mean(axis=0)
        rmsd = float(np.sqrt(((group - mean) ** 2).sum(axis=1).mean()))
        steps.append({"defocus_nm": float(value), "astig_x_nm": float(mean[0]),
                      "astig_y_nm": float(mean[1]), "rmsd_nm": rmsd, "n": len(group)})  # fmt: skip
    return steps
