"""What a fit returns over HTTP: the fields of `astigd fit --json`, without `file`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from astigd.outputs.records import fit_record
from astigd.workers.results import CtfFit


class FitFields(BaseModel):
    """One CTF fit in house units (DESIGN.md §2); non-finite numbers are null."""

    defocus1_nm: float | None = Field(description="Larger principal defocus, nm (underfocus +).")
    defocus2_nm: float | None = Field(description="Smaller principal defocus, nm.")
    angle_deg: float | None = Field(description="Azimuth of the defocus1 axis, degrees [0, 180).")
    astig_nm: float | None = Field(description="Astigmatism defocus1 − defocus2, nm.")
    astig_x_nm: float | None = Field(description="Astigmatism vector a·cos 2θ, nm.")
    astig_y_nm: float | None = Field(description="Astigmatism vector a·sin 2θ, nm.")
    astig_uncertainty_nm: float | None
    defocus_mean_nm: float | None
    defocus_uncertainty_nm: float | None
    phase_shift_deg: float | None
    score: float | None
    resolution_A: float | None = Field(description="Resolution the rings fit to, Å.")
    reliable: bool
    reason: str | None = Field(description="Why the fit is unreliable, or null.")
    elapsed_ms: float | None
    estimator: str
    version: str
    parameters: dict[str, Any]


class FitResult(FitFields):
    """A fit of an uploaded frame, and the measurement it was stored as."""

    measurement_id: int
    scope_id: str | None

    @classmethod
    def from_fit(cls, fit: CtfFit, measurement_id: int, scope_id: str | None) -> FitResult:
        """Build from a CtfFit, exactly as `astigd fit --json` reports it."""
        record = fit_record("", fit)
        record.pop("file")
        return cls(**record, measurement_id=measurement_id, scope_id=scope_id)


class MeasurementOut(FitFields):
    """A stored measurement: the fit, where it came from and the optics it was made at."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    scope_id: str | None
    job_id: uuid.UUID | None
    source: str
    optics: dict[str, Any] | None
    created_at: datetime


class MeasurementPage(BaseModel):
    """One page of measurements, newest first."""

    items: list[MeasurementOut]
    total: int = Field(description="How many measurements match the filters in all.")
    limit: int
    offset: int
