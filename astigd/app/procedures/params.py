"""Parameter models the procedures share: strict, bounded, with units in the names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from astigd.workers.ctf import tolerable_astigmatism_nm

DEFOCUS_MIN_NM = 100.0  # procedures work in underfocus (positive), inside the scopes' windows
DEFOCUS_MAX_NM = 10000.0


class ProcedureParams(BaseModel):
    """Base of every procedure's parameters: unknown fields are refused and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Shots(ProcedureParams):
    """How each frame is taken: exposure and binning."""

    exposure_s: float = Field(1.0, gt=0.0, le=60.0)
    binning: int = Field(1, ge=1, le=8)


class AveragedShots(Shots):
    """How one measurement is taken: exposure, binning and the frames averaged into it."""

    frames: int = Field(1, ge=1, le=16)


class CorrectionSettings(AveragedShots):
    """How the closed-loop correction measures, moves, gates and stops."""

    target_resolution_A: float = Field(3.0, ge=1.0, le=30.0)
    tolerance_nm: float | None = Field(None, gt=0.0, le=500.0)  # overrides d²/(2λ)
    confidence_sigmas: float = Field(2.0, ge=0.0, le=5.0)  # converged: |A| + k·σ ≤ tolerance
    max_moves: int = Field(3, ge=1, le=3)
    max_step: float = Field(0.3, gt=0.0, le=0.5)  # stigmator units per axis per move
    min_score_fraction: float = Field(0.6, ge=0.0, le=1.0)  # of the first fit's score
    max_defocus_change_nm: float = Field(200.0, gt=0.0, le=2000.0)

    def tolerance_for(self, kv: float) -> float:
        """Return the stopping tolerance in nm: the override, else d²/(2λ) at this HT."""
        if self.tolerance_nm is not None:
            return self.tolerance_nm
        return tolerable_astigmatism_nm(self.target_resolution_A, kv)


def underfocus_nm(default: float | None = None):
    """Return a pydantic field for a defocus in nm, underfocus positive, within the window."""
    return Field(default, ge=DEFOCUS_MIN_NM, le=DEFOCUS_MAX_NM)
