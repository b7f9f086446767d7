"""Defocus sweep (the paper's Fig. 2): astigmatism against defocus gives the lens slope K.

Optionally corrected at a reference defocus first (the correction is kept), the scope steps
through the range taking frames at each step. The vectors are fitted against the *fitted*
defocus by weighted least squares, so a pixel-size error (which scales both alike) cannot bias
K. Known anisotropic magnification is removed from each frame by the fit (acquire_and_fit), so
it never shows up as lens slope. The sweep is stored as a lens-sweep row with its points, and
the focus is restored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.correct import correct_here
from astigd.app.procedures.events import announce
from astigd.app.procedures.lens_points import SweepPoint, fit_points, step_statistics
from astigd.app.procedures.measure import measure
from astigd.app.procedures.moves import set_defocus
from astigd.app.procedures.params import CorrectionSettings, Shots, underfocus_nm
from astigd.outputs.records import json_safe

NAME = "defocus_sweep"
KIND = "lens_sweep"
MIN_STEPS, MAX_STEPS = 3, 200


class DefocusSweepParams(Shots):
    """Parameters of `defocus_sweep` (defocus in nm, underfocus positive)."""

    defocus_start_nm: float = underfocus_nm(500.0)
    defocus_stop_nm: float = underfocus_nm(3500.0)
    defocus_step_nm: float = Field(300.0, ge=20.0, le=5000.0)
    frames_per_step: int = Field(3, ge=1, le=20)
    reference_defocus_nm: float | None = underfocus_nm()  # default: the median step
    correct_first: bool = False
    correction: CorrectionSettings = CorrectionSettings()

    @model_validator(mode="after")
    def _enough_steps(self) -> DefocusSweepParams:
        count = len(self.defocus_steps_nm())
        if not MIN_STEPS <= count <= MAX_STEPS:
            raise ValueError(f"the range gives {count} steps; need {MIN_STEPS}–{MAX_STEPS}")
        return self

    def defocus_steps_nm(self) -> list[float]:
        """Return the defocus of each step, from start towards stop."""
        span = self.defocus_stop_nm - self.defocus_start_nm
        count = int(np.floor(abs(span) / self.defocus_step_nm + 1e-9)) + 1
        step = np.sign(span) * self.defocus_step_nm
        return [float(self.defocus_start_nm + i * step) for i in range(count)]

    def reference_nm(self) -> float:
        """Return the reference defocus: the given one, else the median step."""
        if self.reference_defocus_nm is not None:
            return self.reference_defocus_nm
        return float(np.median(self.defocus_steps_nm()))


async def run(ctx: ProcedureContext, params: DefocusSweepParams) -> dict[str, Any]:
    """Optionally correct at the reference, sweep, fit K, store it and restore the focus."""
    await announce(ctx, NAME, params)
    start_defocus_nm = await ctx.scope.get_defocus_nm()
    correction = None
    if params.correct_first:
        await set_defocus(ctx, params.reference_nm(), "correct at the reference defocus")
        correction = await correct_here(ctx, params.correction)
    result = await sweep(ctx, params)
    await set_defocus(ctx, start_defocus_nm, "return to the starting defocus")
    return json_safe({**result, "correction": correction})


async def sweep(ctx: ProcedureContext, params: DefocusSweepParams) -> dict[str, Any]:
    """Step through the range, fit the lens slope and store the sweep; return the result."""
    steps, points = params.defocus_steps_nm(), []
    for index, defocus_nm in enumerate(steps):
        await ctx.checkpoint()
        await set_defocus(ctx, defocus_nm, f"sweep step {index + 1} of {len(steps)}")
        taken = await _take_step(ctx, params, defocus_nm, f"{index + 1}/{len(steps)}")
        points += taken
        statistics = step_statistics([p for p in taken if p.fit.reliable])
        payload = {"index": index, "of": len(steps), "defocus_nm": defocus_nm}
        await ctx.emit("step", {**payload, **statistics, "n_rejected": _rejected(taken)})
    fitted = fit_points(points, params.reference_nm())
    snapshot = await ctx.scope.snapshot()
    record = {**fitted.record(), "defocus_min_nm": min(steps), "defocus_max_nm": max(steps)}
    sweep_id = await ctx.calibrations.save(KIND, snapshot, record)
    aniso = fitted.points[0].fit.parameters.get("aniso")
    return {
        **record,
        **fitted.summary(),
        "sweep_id": sweep_id,
        "mag_index": snapshot.mag.index,
        "aniso_removed": aniso,
        "n_rejected": _rejected(points),
    }


async def _take_step(ctx, params: DefocusSweepParams, defocus_nm: float, label: str):
    """Acquire and fit the step's frames one by one (each is a point)."""
    points = []
    for frame in range(params.frames_per_step):
        fit = await measure(ctx, params, f"step {label}, frame {frame + 1}", frames=1)
        points.append(SweepPoint(defocus_nm, fit))
    return points


def _rejected(points: list[SweepPoint]) -> int:
    return sum(not p.fit.reliable for p in points)
