"""Average several frames' fits into one: inverse-variance weights on the astigmatism vector."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from astigd.workers.astigmatism import astig_from_vector, defocus_pair
from astigd.workers.results import CtfFit

UNCERTAINTY_FLOOR_NM = 0.1
MAX_SCATTER_RATIO = 4.0  # frames scattering 4× beyond their uncertainties: the optics changed


def combine_fits(fits: Sequence[CtfFit], measurement_ids: Sequence[int | None]) -> CtfFit:
    """Return the uncertainty-weighted average fit; reliable only if every frame is and agrees.

    The averaged uncertainties grow with the frames' scatter when it exceeds what their own
    uncertainties predict (Birge ratio), so a measurement never claims more than it shows.
    """
    vectors = np.array([[f.astig_x_nm, f.astig_y_nm] for f in fits])
    vector, astig_sigma, ratio = _weighted(vectors, [f.astig_uncertainty_nm for f in fits])
    defocus = np.array([[f.defocus_mean_nm] for f in fits])
    mean_defocus, defocus_sigma, _ = _weighted(defocus, [f.defocus_uncertainty_nm for f in fits])
    astig, angle = astig_from_vector(float(vector[0]), float(vector[1]))
    pair = defocus_pair(float(mean_defocus[0]), astig, angle)
    reason = _reason(fits, ratio)
    parameters = {
        **fits[0].parameters,
        "frames": len(fits),
        "measurement_ids": list(measurement_ids),
        "scatter_ratio": ratio,
        "frame_vectors_nm": vectors.tolist(),
    }
    return replace(
        fits[0],
        defocus1_nm=pair.defocus1_nm,
        defocus2_nm=pair.defocus2_nm,
        angle_deg=pair.angle_deg,
        astig_nm=astig,
        astig_x_nm=float(vector[0]),
        astig_y_nm=float(vector[1]),
        astig_uncertainty_nm=astig_sigma,
        defocus_mean_nm=float(mean_defocus[0]),
        defocus_uncertainty_nm=defocus_sigma,
        score=float(np.mean([f.score for f in fits])),
        resolution_A=float(np.median([f.resolution_A for f in fits])),
        reliable=reason is None,
        reason=reason,
        elapsed_ms=float(sum(f.elapsed_ms for f in fits)),
        parameters=parameters,
    )


def _weighted(values: np.ndarray, sigmas: Sequence[float]) -> tuple[np.ndarray, float, float]:
    """Return the weighted mean, its uncertainty (scatter-inflated) and the scatter ratio."""
    sigma = np.array([s if math.isfinite(s) else 1e6 for s in sigmas], float)
    weights = np.maximum(sigma, UNCERTAINTY_FLOOR_NM) ** -2.0
    mean = (weights[:, None] * values).sum(axis=0) / weights.sum()
    if len(values) < 2:
        return mean, float(sigma[0]), 1.0
    # each uncertainty is the rms length of the error, shared by the value's components
    chi2 = float((weights * ((values - mean) ** 2).sum(axis=1)).sum()) / (len(values) - 1)
    ratio = math.sqrt(max(chi2, 1.0))
    return mean, ratio / math.sqrt(weights.sum()), ratio


def _reason(fits: Sequence[CtfFit], scatter_ratio: float) -> str | None:
    """Return why the average may not steer optics: a bad frame, or frames that disagree."""
    for index, fit in enumerate(fits, start=1):
        if not fit.reliable:
            return f"frame {index} of {len(fits)}: {fit.reason}"
    if scatter_ratio > MAX_SCATTER_RATIO:
        return (
            f"the {len(fits)} frames disagree ({scatter_ratio:.1f}× their uncertainties): "
            "the optics changed during the measurement"
        )
    return None
