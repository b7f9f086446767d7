"""Measure the astigmatism through the context, report the fit, and refuse unreliable fits."""

from __future__ import annotations

from typing import Any

import numpy as np

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import fit_dict
from astigd.app.procedures.params import Shots
from astigd.workers.results import CtfFit


async def measure(
    ctx: ProcedureContext, shots: Shots, what: str, frames: int | None = None, **details: Any
) -> CtfFit:
    """Acquire and fit (frames averaged), emit a `fit` event (with `details`), return the fit."""
    count = getattr(shots, "frames", 1) if frames is None else frames
    fit, _ = await ctx.acquire_and_fit(shots.exposure_s, shots.binning, count)
    await ctx.emit("fit", {"what": what, **fit_dict(fit), **details})
    return fit


def refuse_unless_reliable(fit: CtfFit, what: str) -> None:
    """Raise ProcedureError when a fit may not steer the optics."""
    if not fit.reliable:
        raise ProcedureError(f"{what} is unreliable ({fit.reason}); nothing is moved on it")


def astig_vector(fit: CtfFit) -> np.ndarray:
    """Return a fit's doubled-angle astigmatism vector in nm."""
    return np.array([fit.astig_x_nm, fit.astig_y_nm])
