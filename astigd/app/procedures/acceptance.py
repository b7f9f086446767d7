"""Daily acceptance: correct at the collection conditions, sweep defocus, log K, compare history.

It corrects at the collection magnification and the median of the intended defocus range,
runs the defocus sweep (stored: that is the day's log of k_obj and angle), raises an `alert`
when k_obj is more than 3σ from the trailing 30-day mean or the lens axis jumped by more than
20°, and predicts the stigmators for each defocus of the range (dynamic compensation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from astigd.app.db.base import utc_now
from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.correct import correct_here
from astigd.app.procedures.defocus_sweep import KIND, DefocusSweepParams, sweep
from astigd.app.procedures.events import announce
from astigd.app.procedures.history import compare_with_history
from astigd.app.procedures.moves import return_to, set_defocus, set_mag, stig_limit
from astigd.app.procedures.params import CorrectionSettings, Shots, underfocus_nm
from astigd.app.procedures.stigmator_calibration import load_response
from astigd.outputs.records import json_safe
from astigd.workers.compensation import compensated_stigmators

NAME = "acceptance"
HISTORY_LIMIT = 200


class AcceptanceParams(Shots):
    """Parameters of `acceptance`."""

    mag_index: int | None = Field(None, ge=0)  # the collection magnification; default: current
    defocus_min_nm: float = underfocus_nm(500.0)  # the intended defocus range of collection
    defocus_max_nm: float = underfocus_nm(3500.0)
    defocus_step_nm: float = Field(300.0, ge=20.0, le=5000.0)
    frames_per_step: int = Field(3, ge=1, le=20)
    correction: CorrectionSettings = CorrectionSettings()
    history_days: int = Field(30, ge=3, le=365)
    k_obj_sigma_limit: float = Field(3.0, gt=0.0, le=10.0)
    angle_jump_limit_deg: float = Field(20.0, gt=0.0, le=90.0)

    @model_validator(mode="after")
    def _valid_range(self) -> AcceptanceParams:
        if self.defocus_max_nm <= self.defocus_min_nm:
            raise ValueError("defocus_max_nm must exceed defocus_min_nm")
        self.sweep_params()  # the range must make a valid sweep
        return self

    def sweep_params(self) -> DefocusSweepParams:
        """Return the defocus sweep over the intended range, referenced at its median."""
        return DefocusSweepParams(
            defocus_start_nm=self.defocus_min_nm,
            defocus_stop_nm=self.defocus_max_nm,
            defocus_step_nm=self.defocus_step_nm,
            frames_per_step=self.frames_per_step,
            exposure_s=self.exposure_s,
            binning=self.binning,
        )


async def run(ctx: ProcedureContext, params: AcceptanceParams) -> dict[str, Any]:
    """Correct, sweep, log, compare with history (alerts) and predict compensation."""
    await announce(ctx, NAME, params)
    start = await ctx.scope.snapshot()
    if params.mag_index is not None:
        await set_mag(ctx, params.mag_index, "the collection magnification")
    sweep_params = params.sweep_params()
    median_nm = sweep_params.reference_nm()
    await set_defocus(ctx, median_nm, "correct at the median of the intended defocus range")
    correction = await correct_here(ctx, params.correction)
    corrected = await ctx.scope.snapshot()
    history = await ctx.calibrations.history(KIND, HISTORY_LIMIT, snapshot=corrected)
    today = await sweep(ctx, sweep_params)
    check = await _check_history(ctx, params, today, history)
    compensation = await _compensation(ctx, corrected, today, sweep_params)
    keep = (corrected.stig_x, corrected.stig_y) if corrected.mag.index == start.mag.index else None
    await return_to(ctx, start, "restore magnification and focus", stig=keep)
    return json_safe(
        {
            **_headline(today),
            "date": utc_now().date().isoformat(),
            "median_defocus_nm": median_nm,
            "history": check.to_dict(),
            "alerts": check.alerts,
            "correction": correction,
            "sweep": today,
            "compensation": compensation,
        }
    )


def _headline(today: dict[str, Any]) -> dict[str, Any]:
    """Return the day's log line: k_obj and angle with their errors, and where they are stored."""
    keys = (
        "k_obj_nm_per_um",
        "k_obj_se_nm_per_um",
        "angle_deg",
        "angle_se_deg",
        "r_squared",
        "sweep_id",
        "mag_index",
    )
    return {key: today[key] for key in keys}


async def _check_history(ctx, params: AcceptanceParams, today: dict, history: list[dict]):
    """Compare with the trailing window and emit an `alert` event for each finding."""
    await ctx.emit("step", {"what": "daily lens slope", **_headline(today)})
    check = compare_with_history(
        {"id": today["sweep_id"], **today},
        history,
        utc_now(),
        params.history_days,
        params.k_obj_sigma_limit,
        params.angle_jump_limit_deg,
    )
    for alert in check.alerts:
        await ctx.emit("alert", {**alert, **_headline(today)})
    return check


async def _compensation(ctx, corrected, today: dict, sweep_params) -> list[dict[str, Any]]:
    """Predict the stigmators that cancel the lens slope at each defocus of the range."""
    response, _ = await load_response(ctx, corrected, quiet=True)
    reference = np.array([corrected.stig_x, corrected.stig_y])
    limit = stig_limit(ctx.scope)
    table = []
    for defocus_nm in sweep_params.defocus_steps_nm():
        stig = compensated_stigmators(
            reference, corrected.defocus_nm, defocus_nm, today["slope_nm_per_um"], response
        )
        table.append(
            {
                "defocus_nm": defocus_nm,
                "stig": stig.tolist(),
                "within_range": bool(np.abs(stig).max() <= limit),
            }
        )
    return table
