"""Local 2D refinement of defocus and astigmatism by weighted least squares on the spectrum."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astigd.workers.ctf import Optics
from astigd.workers.geometry import SpectrumGeometry

MAX_ITERATIONS = 30
CONVERGED_STEP = np.array([0.005, 0.005, 0.005, 1e-5])  # nm, nm, nm, envelope scale


@dataclass(frozen=True)
class RingData:
    """Spectrum samples ready for the 2D fit: values, their smooth mean and ring envelope."""

    values: np.ndarray
    mean_level: np.ndarray
    envelope: np.ndarray
    sigma: np.ndarray


@dataclass(frozen=True)
class Refinement:
    """The refined parameters (mean defocus, astig x, astig y in nm; envelope scale)."""

    params: np.ndarray
    normal_matrix: np.ndarray  # JᵀJ of the noise-normalised residuals, restraint included
    residual: np.ndarray  # noise-normalised, data rows only
    cost: float  # χ², restraint included
    converged: bool


class PhaseModel:
    """chi at each sample as an affine function of (mean defocus, astig_x, astig_y)."""

    def __init__(self, geometry: SpectrumGeometry, optics: Optics, keep: np.ndarray) -> None:
        lam = optics.wavelength_A
        k2 = geometry.k2_invA2[keep]
        self.per_nm = 10.0 * np.pi * lam * k2
        self.per_x = 0.5 * self.per_nm * geometry.cos2phi[keep]
        self.per_y = 0.5 * self.per_nm * geometry.sin2phi[keep]
        self.offset = -0.5 * np.pi * optics.cs_A * lam**3 * k2**2 + optics.constant_phase

    def phase(self, mean_nm: float, astig_x_nm: float, astig_y_nm: float) -> np.ndarray:
        """Return chi at each sample."""
        return (
            self.per_nm * mean_nm + self.per_x * astig_x_nm + self.per_y * astig_y_nm + self.offset
        )


class _Problem:
    """Residuals and Jacobian of P = M + s·E·(sin²chi − ½) against the data, plus a restraint."""

    def __init__(self, data: RingData, phase_model: PhaseModel, restraint_nm: float | None):
        self.model = phase_model
        self.centred = (data.values - data.mean_level) / data.sigma
        self.envelope = data.envelope / data.sigma
        prior = 0.0 if restraint_nm is None else restraint_nm**-2
        self.prior = np.diag([0.0, prior, prior, 0.0])

    def evaluate(self, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Return (cost, residual, JᵀJ, Jᵀr) at p, restraint included."""
        chi = self.model.phase(*p[:3])
        sin_chi = np.sin(chi)
        rings = sin_chi * sin_chi - 0.5
        residual = self.centred - p[3] * self.envelope * rings
        slope = (-2.0 * p[3]) * self.envelope * sin_chi * np.cos(chi)
        jac = np.column_stack(
            [slope * self.model.per_nm, slope * self.model.per_x, slope * self.model.per_y,
             -self.envelope * rings]
        )  # fmt: skip
        normal = jac.T @ jac + self.prior
        gradient = jac.T @ residual + self.prior @ p
        cost = float(residual @ residual + p @ self.prior @ p)
        return cost, residual, normal, gradient


def refine(
    data: RingData,
    phase_model: PhaseModel,
    start: tuple[float, float, float],
    restraint_nm: float | None,
) -> Refinement:
    """Refine (mean, astig_x, astig_y, envelope scale) from a start by Levenberg–Marquardt."""
    problem = _Problem(data, phase_model, restraint_nm)
    params = np.array([*start, 1.0])
    cost, residual, normal, gradient = problem.evaluate(params)
    damping, converged = 1e-3, False
    for _ in range(MAX_ITERATIONS):
        damped = normal + damping * np.diag(np.diag(normal))
        step = -np.linalg.solve(damped, gradient)
        trial = problem.evaluate(params + step)
        if trial[0] < cost:
            params = params + step
            cost, residual, normal, gradient = trial
            damping = max(damping / 4.0, 1e-7)
            if np.all(np.abs(step) < CONVERGED_STEP):
                converged = True
                break
        else:
            damping *= 8.0
            if damping > 1e8:
                converged = True  # no downhill step left: at a minimum to machine precision
                break
    return Refinement(params, normal, residual, cost, converged)
