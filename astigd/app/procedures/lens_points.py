"""The points of a defocus sweep: per-step statistics and the weighted lens-slope fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astigd.app.procedures.errors import ProcedureError
from astigd.workers.lens_slope import LensSlope, fit_lens_slope, per_step_statistics
from astigd.workers.results import CtfFit

UNCERTAINTY_FLOOR_NM = 0.5
MIN_STEPS_FITTED = 3


@dataclass(frozen=True)
class SweepPoint:
    """One frame of a sweep: the commanded defocus of its step and its fit."""

    commanded_nm: float
    fit: CtfFit

    @property
    def vector_nm(self) -> tuple[float, float]:
        """Return the fitted astigmatism vector."""
        return self.fit.astig_x_nm, self.fit.astig_y_nm


def step_statistics(points: list[SweepPoint]) -> dict[str, Any]:
    """Return one step's mean vector, its RMSD and the mean fitted defocus with its RMSD."""
    if not points:
        return {"n": 0}
    commanded = [p.commanded_nm for p in points]
    (stats,) = per_step_statistics(np.array(commanded), np.array([p.vector_nm for p in points]))
    defocus = np.array([p.fit.defocus_mean_nm for p in points])
    return {
        "astig_vec_nm": [stats["astig_x_nm"], stats["astig_y_nm"]],
        "astig_nm": float(np.hypot(stats["astig_x_nm"], stats["astig_y_nm"])),
        "astig_rmsd_nm": stats["rmsd_nm"],
        "n": stats["n"],
        "fitted_defocus_nm": float(defocus.mean()),
        "defocus_rmsd_nm": float(np.sqrt(((defocus - defocus.mean()) ** 2).mean())),
    }


@dataclass(frozen=True)
class FittedSweep:
    """The lens slope of a sweep, its reference in commanded and fitted defocus, its points."""

    slope: LensSlope
    reference_nm: float
    defocus_scale: float  # fitted per commanded defocus: 1 unless pixel size or focus is off
    points: list[SweepPoint]

    def record(self) -> dict[str, Any]:
        """Return the lens-sweep record for the calibration store."""
        s = self.slope
        return {
            "k_obj_nm_per_um": s.k_obj_nm_per_um,
            "k_obj_se_nm_per_um": s.k_obj_se_nm_per_um,
            "angle_deg": s.angle_deg,
            "angle_se_deg": s.angle_se_deg,
            "slope_nm_per_um": list(s.slope_nm_per_um),
            "r_squared": s.r_squared,
            "reference_defocus_nm": self.reference_nm,
            "astig_ref_nm": list(s.intercept_nm),
            "n_points": s.n_points,
            "points": [_point_record(p) for p in self.points],
        }

    def summary(self) -> dict[str, Any]:
        """Return the per-step statistics and the defocus calibration check."""
        by_step: dict[float, list[SweepPoint]] = {}
        for point in self.points:
            by_step.setdefault(point.commanded_nm, []).append(point)
        steps = [{"defocus_nm": df, **step_statistics(group)} for df, group in by_step.items()]
        return {
            "steps": steps,
            "defocus_scale": self.defocus_scale,
            "reference_defocus_fitted_nm": self.slope.reference_defocus_nm,
        }


def fit_points(points: list[SweepPoint], reference_nm: float) -> FittedSweep:
    """Fit K over the reliable points against their fitted defocus; refuse too few steps."""
    good = [p for p in points if p.fit.reliable]
    commanded = np.array([p.commanded_nm for p in good])
    if len(np.unique(commanded)) < MIN_STEPS_FITTED:
        raise ProcedureError(
            f"only {len(np.unique(commanded))} defocus steps have reliable fits; need "
            f"{MIN_STEPS_FITTED} to fit the lens slope"
        )
    fitted = np.array([p.fit.defocus_mean_nm for p in good])
    scale, offset = np.polyfit(commanded, fitted, 1)
    sigma = np.maximum([p.fit.astig_uncertainty_nm for p in good], UNCERTAINTY_FLOOR_NM)
    vectors = np.array([p.vector_nm for p in good])
    slope = fit_lens_slope(fitted, vectors, sigma, scale * reference_nm + offset)
    return FittedSweep(slope, reference_nm, float(scale), good)


def _point_record(point: SweepPoint) -> dict[str, Any]:
    """Return a stored point: the frame's fitted defocus and vector, and its measurement."""
    ids = point.fit.parameters.get("measurement_ids") or [None]
    return {
        "defocus_nm": point.fit.defocus_mean_nm,
        "astig_x_nm": point.fit.astig_x_nm,
        "astig_y_nm": point.fit.astig_y_nm,
        "astig_uncertainty_nm": point.fit.astig_uncertainty_nm,
        "measurement_id": ids[0],
        "commanded_defocus_nm": point.commanded_nm,
    }
