"""Dynamic compensation: the stigmator setting that cancels the lens slope at a target defocus."""

from __future__ import annotations

import numpy as np

from astigd.workers.stigmator_response import StigmatorResponse


def compensated_stigmators(
    reference_stigmators: np.ndarray,
    reference_defocus_nm: float,
    target_defocus_nm: float,
    slope_nm_per_um: tuple[float, float],
    response: StigmatorResponse,
) -> np.ndarray:
    """Return s(df) = s_ref − M⁻¹·K·(df − df_ref), for stigmators corrected at df_ref."""
    drift = np.asarray(slope_nm_per_um, float) * (target_defocus_nm - reference_defocus_nm) / 1000.0
    return np.asarray(reference_stigmators, float) + response.stigmator_change_for(drift)


def clamp_step(step: np.ndarray, max_step: float) -> tuple[np.ndarray, bool]:
    """Scale a stigmator step down to at most max_step per axis; say whether it was clamped."""
    step = np.asarray(step, float)
    largest = float(np.abs(step).max())
    if largest <= max_step:
        return step, False
    return step * (max_step / largest), True
