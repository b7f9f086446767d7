"""Local 2D refinement of defocus and astigmatism by weighted least squares on the spectrum."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astigd.workers.ctf import Optics
from astigd.workers.geometry import SpectrumGeometry

MAX_ITERATIONS = 60  # calibration probes (~600 nm of astigmatism) may need more than 30


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
        per_nm = 10.0 * np.pi * lam * k2
        # ∂chi/∂(mean, astig_x, astig_y), one row per sample; float32 halves the trigonometry
        self.gradient = np.column_stack(
            [per_nm, 0.5 * per_nm * geometry.cos2phi[keep], 0.5 * per_nm * geometry.sin2phi[keep]]
        ).astype(np.float32)
        offset = -0.5 * np.pi * optics.cs_A * lam**3 * k2**2 + optics.constant_phase
        self.offset = offset.astype(np.float32)

    def phase(self, mean_nm: float, astig_x_nm: float, astig_y_nm: float) -> np.ndarray:
        """Return chi at each sample."""
        params = np.array([mean_nm, astig_x_nm, astig_y_nm], dtype=np.float32)
        return self.gradient @ params + self.offset


class _Problem:
    """Residuals and Jacobian of P = M + s·E·(sin²chi − ½) against the data, plus a restraint."""

    def __init__(self, data: RingData, phase_model: PhaseModel, restraint_nm: float | None):
        self.model = phase_model
        self.centred = ((data.values - data.mean_level) / data.sigma).astype(np.float32)
        self.envelope = (data.envelope / data.sigma).astype(np.float32)
        prior = 0.0 if restraint_nm is None else restraint_nm**-2
        self.prior = np.diag([0.0, prior, prior, 0.0])

    def evaluate(self, p: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Return (cost, residual, JᵀJ, Jᵀr) at p, restraint included."""
        chi = self.model.phase(*p[:3])
        sin_chi = np.sin(chi)
        rings = sin_chi * sin_chi - np.float32(0.5)
        scaled = self.envelope * np.float32(p[3])
        residual = self.centred - scaled * rings
        slope = np.float32(-2.0) * scaled * sin_chi * np.cos(chi)
        jac = np.empty((len(chi), 4), dtype=np.float32)
        np.multiply(self.model.gradient, slope[:, None], out=jac[:, :3])
        np.multiply(self.envelope, -rings, out=jac[:, 3])
        normal = (jac.T @ jac).astype(float) + self.prior
        gradient = (jac.T @ residual).astype(float) + self.prior @ p
        residual64 = residual.astype(np.float64)
        cost = float(residual64 @ residual64) + float(p @ self.prior @ p)
        return cost, residual, normal, gradient


def refine(
    data: RingData,
    phase_model: PhaseModel,
    start: tuple[float, float, float],
    restraint_nm: float | None,
    tolerance_nm: float = 0.005,
) -> Refinement:
    """Refine (mean, astig_x, astig_y, envelope scale) from a start by Levenberg–Marquardt."""
    problem = _Problem(data, phase_model, restraint_nm)
    params = np.array([*start, 1.0])
    cost, residual, normal, gradient = problem.evaluate(params)
    damping, converged = 1e-3, False
    if not np.all(np.diag(normal)[:3] > 0):
        return Refinement(params, normal, residual, cost, False)  # nothing constrains chi
    for _ in range(MAX_ITERATIONS):
        damped = normal + damping * np.diag(np.diag(normal))
        step = -np.linalg.lstsq(damped, gradient, rcond=None)[0]  # lstsq: no rings, no rank
        trial = problem.evaluate(params + step)
        small = np.all(np.abs(step[:3]) < tolerance_nm) and abs(step[3]) < 1e-3
        if trial[0] < cost:
            params = params + step
            cost, residual, normal, gradient = trial
            damping = max(damping / 4.0, 1e-7)
            converged = bool(small)
        else:
            damping *= 8.0
            # float32 costs cannot confirm sub-tolerance moves near the minimum: count it found
            # when the undamped Gauss-Newton step from here is that small; else give up once
            # nothing is downhill.
            converged = _newton_step_small(normal, gradient, tolerance_nm) or damping > 1e6
        if converged:
            break
    return Refinement(params, normal, residual, cost, converged)


def _newton_step_small(normal: np.ndarray, gradient: np.ndarray, tolerance_nm: float) -> bool:
    """Return whether the undamped step is within ten tolerances (float32 cost noise)."""
    step = np.linalg.lstsq(normal, gradient, rcond=None)[0]
    return bool(np.all(np.abs(step[:3]) < 10.0 * tolerance_nm) and abs(step[3]) < 1e-2)
