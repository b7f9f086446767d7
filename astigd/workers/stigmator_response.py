"""The stigmator response: how the astigmatism vector moves per unit of stigmator MX and MY."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_COLUMN_ANGLE_DEG = 60.0  # MX and MY are 90° apart in doubled-angle space; far less is a fault


@dataclass(frozen=True)
class StigmatorResponse:
    """A = A0 + M·s: M in nm of astigmatism vector per stigmator unit, from probe fits."""

    matrix_nm_per_unit: np.ndarray  # 2×2, columns are the MX and MY directions
    offset_nm: np.ndarray  # astigmatism vector at s = (0, 0)
    residual_rms_nm: float
    n_probes: int

    @property
    def column_angle_deg(self) -> float:
        """Return the angle between the MX and MY response directions (ideally 90°)."""
        mx, my = self.matrix_nm_per_unit[:, 0], self.matrix_nm_per_unit[:, 1]
        cosine = float(mx @ my / (np.linalg.norm(mx) * np.linalg.norm(my)))
        return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))

    @property
    def condition_number(self) -> float:
        """Return the 2×2 matrix's condition number."""
        return float(np.linalg.cond(self.matrix_nm_per_unit))

    @property
    def well_conditioned(self) -> bool:
        """Return whether MX and MY act in clearly different directions."""
        return abs(self.column_angle_deg - 90.0) <= 90.0 - MIN_COLUMN_ANGLE_DEG

    def stigmator_change_for(self, astig_vector_nm: np.ndarray) -> np.ndarray:
        """Return the stigmator change Δs that cancels an astigmatism vector: −M⁻¹·A."""
        return -np.linalg.solve(self.matrix_nm_per_unit, np.asarray(astig_vector_nm, float))


def solve_response(stigmators: np.ndarray, astig_vectors_nm: np.ndarray) -> StigmatorResponse:
    """Fit A_i = A0 + M·s_i by least squares over probes (rows of stigmator and vector pairs)."""
    stigmators = np.asarray(stigmators, float)
    vectors = np.asarray(astig_vectors_nm, float)
    if stigmators.shape != vectors.shape or stigmators.shape[0] < 3 or stigmators.shape[1] != 2:
        raise ValueError("need at least 3 probes, each with (stig_x, stig_y) and (A_x, A_y)")
    design = np.column_stack([np.ones(len(stigmators)), stigmators])
    if np.linalg.matrix_rank(design) < 3:
        raise ValueError("the probes must move both stigmators independently")
    coefficients, *_ = np.linalg.lstsq(design, vectors, rcond=None)
    residual = vectors - design @ coefficients
    dof = max(residual.size - coefficients.size, 1)
    return StigmatorResponse(
        matrix_nm_per_unit=coefficients[1:].T,
        offset_nm=coefficients[0],
        residual_rms_nm=float(math.sqrt((residual**2).sum() / dof)),
        n_probes=len(stigmators),
    )
