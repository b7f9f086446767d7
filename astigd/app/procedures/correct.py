"""Closed-loop correction: measure → Δs = −M⁻¹·A → apply → re-measure, gated at every move.

It measures by CTF fit (`method: ctf`, the default), by beam-tilt-induced displacement
(`btid`, docs/btid.md) or by CTF falling back to BTID when the fit is unreliable (`auto`). It
stops within the tolerance (d²/(2λ) for a target resolution d, with confidence) or after at
most three moves. A move driven by an unreliable, off-score or off-focus fit is never made; a
move after which the fit fails a gate, or the astigmatism grew, is undone before failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import model_validator

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.correction_gates import (
    gate_reason,
    growth_reason,
    warn_if_noisy,
    within_tolerance,
)
from astigd.app.procedures.correction_methods import Method, start_measuring
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import announce, fit_dict
from astigd.app.procedures.measure import astig_vector, refuse_unless_reliable
from astigd.app.procedures.moves import move_stigmator, set_defocus
from astigd.app.procedures.params import CorrectionSettings, underfocus_nm
from astigd.outputs.records import json_safe
from astigd.workers.compensation import clamp_step
from astigd.workers.results import CtfFit
from astigd.workers.stigmator_response import StigmatorResponse

NAME = "correct"


class CorrectParams(CorrectionSettings):
    """Parameters of `correct`; with defocus_nm it corrects there and returns to the start focus."""

    measure_only: bool = False  # report the change needed, move nothing (ReportStigmatorNeeded)
    defocus_nm: float | None = underfocus_nm()
    method: Literal["ctf", "btid", "auto"] = "ctf"  # auto: BTID when the CTF fit is unreliable

    @model_validator(mode="after")
    def _measure_only_moves_nothing(self) -> CorrectParams:
        if self.measure_only and self.defocus_nm is not None:
            raise ValueError("measure_only moves nothing: leave defocus_nm unset")
        return self


async def run(ctx: ProcedureContext, params: CorrectParams) -> dict[str, Any]:
    """Correct the astigmatism at the current optics (or at defocus_nm) and summarise."""
    await announce(ctx, NAME, params)
    if params.defocus_nm is None:
        return json_safe(await correct_here(ctx, params, params.measure_only, params.method))
    start_defocus_nm = await ctx.scope.get_defocus_nm()
    await set_defocus(ctx, params.defocus_nm, "correct at the requested defocus")
    result = await correct_here(ctx, params, method=params.method)
    await set_defocus(ctx, start_defocus_nm, "return to the starting defocus")
    return json_safe(result)


@dataclass(frozen=True)
class _Move:
    """One stigmator move: where from, where to, and whether the step was clamped."""

    before: tuple[float, float]
    after: tuple[float, float]
    clamped: bool


async def correct_here(
    ctx: ProcedureContext,
    settings: CorrectionSettings,
    measure_only: bool = False,
    method: Method = "ctf",
) -> dict[str, Any]:
    """Run the loop at the current optics; return the summary (shared by other procedures)."""
    snapshot = await ctx.scope.snapshot()
    tolerance_nm = settings.tolerance_for(snapshot.ht_kv)
    measuring = await start_measuring(ctx, settings, snapshot, method, tolerance_nm)
    first, response = measuring.first, measuring.response
    refuse_unless_reliable(first, "the initial fit")
    await warn_if_noisy(ctx, first, tolerance_nm, settings)
    start = {
        "method": measuring.method,
        "tolerance_nm": tolerance_nm,
        "calibration": measuring.calibration,
        "stig_start": [snapshot.stig_x, snapshot.stig_y],
        "initial": fit_dict(first),
    }
    if measure_only:
        return {**start, **_needed_change(first, response, snapshot, settings, tolerance_nm)}
    fits, moves = [first], []
    while (
        not within_tolerance(fits[-1], tolerance_nm, settings) and len(moves) < settings.max_moves
    ):
        await ctx.checkpoint()
        moves.append(await _move(ctx, fits[-1], response, settings, len(moves) + 1))
        after = await measuring.measurer(f"after move {len(moves)}")
        await _gate_or_undo(ctx, first, fits[-1], after, moves[-1], settings, len(moves))
        fits.append(after)
    return {**start, **_summary(fits, moves, start["stig_start"], tolerance_nm, settings)}


def _planned_step(fit: CtfFit, response: StigmatorResponse, max_step: float):
    """Return the stigmator step that cancels the fit's astigmatism, clamped, and if it was."""
    return clamp_step(response.stigmator_change_for(astig_vector(fit)), max_step)


async def _move(ctx, fit: CtfFit, response, settings, number: int) -> _Move:
    """Make one correction move towards zero astigmatism."""
    before = await ctx.scope.get_stigmator()
    step, clamped = _planned_step(fit, response, settings.max_step)
    target = np.asarray(before) + step
    why = f"correction move {number}"
    after = await move_stigmator(ctx, target, why, step=step.tolist(), clamped=clamped)
    return _Move(before, after, clamped)


async def _gate_or_undo(ctx, first, before: CtfFit, after: CtfFit, move: _Move, settings, n):
    """Undo the move and fail when the new fit fails a gate or the astigmatism grew."""
    reason = gate_reason(first, after, settings) or growth_reason(before, after)
    if reason is None:
        return
    await move_stigmator(ctx, move.before, f"undo correction move {n}", reason=reason)
    raise ProcedureError(f"after correction move {n}, {reason}; the move was undone")


def _needed_change(first, response, snapshot, settings, tolerance_nm: float) -> dict[str, Any]:
    """Return the stigmator change a correction would make, without making it."""
    full = response.stigmator_change_for(astig_vector(first))
    step, clamped = clamp_step(full, settings.max_step)
    stig = np.array([snapshot.stig_x, snapshot.stig_y])
    return {
        "measure_only": True,
        "converged": within_tolerance(first, tolerance_nm, settings),
        "stigmator_change_needed": full.tolist(),
        "stig_needed": (stig + full).tolist(),
        "first_step": step.tolist(),
        "first_step_clamped": clamped,
        "moves": 0,
    }


def _summary(fits: list[CtfFit], moves: list[_Move], stig_start, tolerance_nm, settings) -> dict:
    """Return the outcome of the loop."""
    final = fits[-1]
    converged = within_tolerance(final, tolerance_nm, settings)
    stop = "within tolerance" if converged else f"stopped after {len(moves)} moves"
    return {
        "measure_only": False,
        "converged": converged,
        "stop_reason": stop,
        "moves": len(moves),
        "clamped_moves": sum(m.clamped for m in moves),
        "stig_final": list(moves[-1].after) if moves else stig_start,
        "final": fit_dict(final),
        "astig_start_nm": fits[0].astig_nm,
        "astig_final_nm": final.astig_nm,
        "measurements": [fit_dict(f) for f in fits],
    }
