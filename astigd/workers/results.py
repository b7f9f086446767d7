"""The result of a CTF fit, in the house units and CTFFIND order."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FitDiagnostics:
    """Arrays behind a fit, for pictures and plots (not serialised into JSON results)."""

    spectrum: np.ndarray  # background-subtracted, normalised spectrum, DC at the centre
    model: np.ndarray  # the fitted CTF² on the same grid, same normalisation
    spectrum_pixel_A: float  # real-space pixel size the spectrum's box corresponds to
    radial_frequency_invA: np.ndarray  # 1D profile abscissa, Å⁻¹
    radial_data: np.ndarray  # elliptically averaged normalised spectrum
    radial_model: np.ndarray  # fitted model on the same abscissa
    radial_fit_cc: np.ndarray  # per-shell correlation between data and model


@dataclass(frozen=True)
class CtfFit:
    """One CTF fit: defocus, 2-fold astigmatism, quality and how it was obtained."""

    defocus1_nm: float
    defocus2_nm: float
    angle_deg: float
    astig_nm: float
    astig_x_nm: float
    astig_y_nm: float
    astig_uncertainty_nm: float
    defocus_mean_nm: float
    defocus_uncertainty_nm: float
    phase_shift_deg: float
    score: float
    resolution_A: float
    reliable: bool
    reason: str | None
    elapsed_ms: float
    estimator: str
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)
    diagnostics: FitDiagnostics | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready fields (everything but the diagnostic arrays)."""
        data = asdict(self)
        data.pop("diagnostics")
        return data
