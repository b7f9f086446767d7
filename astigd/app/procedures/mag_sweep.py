"""Magnification sweep (the paper's Figs. 5–6): corrected at the first, stepped down the rest.

At each listed magnification it records the mean and RMSD of the astigmatism vector and of
the defocus. The astigmatism that re-emerged there is what the stigmators set at the first
magnification leave; with correct_each a correction is also run there and the difference
reported, then the stigmators go back. At the end magnification and focus are restored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, field_validator

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.correct import correct_here
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import announce, warn
from astigd.app.procedures.lens_points import SweepPoint, step_statistics
from astigd.app.procedures.measure import measure
from astigd.app.procedures.moves import move_stigmator, return_to, set_defocus, set_mag
from astigd.app.procedures.params import CorrectionSettings, Shots, underfocus_nm
from astigd.outputs.records import json_safe

NAME = "mag_sweep"
KIND = "mag_profile"


class MagSweepParams(Shots):
    """Parameters of `mag_sweep`: the first index is where it corrects; then it steps down."""

    mag_indices: tuple[int, ...] = Field(min_length=2, max_length=40)
    defocus_nm: float | None = underfocus_nm()  # default: the current defocus
    frames_per_mag: int = Field(3, ge=1, le=20)
    correct_first: bool = True
    correct_each: bool = False
    correction: CorrectionSettings = CorrectionSettings()

    @field_validator("mag_indices")
    @classmethod
    def _distinct(cls, indices: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(indices)) != len(indices) or min(indices) < 0:
            raise ValueError("mag_indices must be distinct, non-negative magnification indices")
        return indices


async def run(ctx: ProcedureContext, params: MagSweepParams) -> dict[str, Any]:
    """Correct at the first magnification, profile the rest, store the profile, restore."""
    await announce(ctx, NAME, params)
    start = await ctx.scope.snapshot()
    await set_mag(ctx, params.mag_indices[0], "the sweep's first magnification")
    if params.defocus_nm is not None:
        await set_defocus(ctx, params.defocus_nm, "the sweep's defocus")
    first = await correct_here(ctx, params.correction) if params.correct_first else None
    reference_stig = await ctx.scope.get_stigmator()
    points = []
    for index in params.mag_indices:
        await ctx.checkpoint()
        await set_mag(ctx, index, f"sweep to magnification index {index}")
        first_vec = points[0].get("astig_vec_nm") if points else None
        points.append(await _profile_point(ctx, params, reference_stig, first_vec, not points))
    result = await _store(ctx, points, reference_stig)
    keep = reference_stig if start.mag.index == params.mag_indices[0] else None
    await return_to(ctx, start, "restore magnification and focus", stig=keep)
    return json_safe({**result, "correction": first, "reference_stig": list(reference_stig)})


async def _profile_point(ctx, params, reference_stig, first_vec, first_point: bool) -> dict:
    """Measure here, what re-emerged since the first magnification, and a direct correction."""
    snapshot = await ctx.scope.snapshot()
    label = f"magnification index {snapshot.mag.index}"
    taken = []
    for frame in range(params.frames_per_mag):
        fit = await measure(ctx, params, f"{label}, frame {frame + 1}", frames=1)
        taken.append(SweepPoint(snapshot.defocus_nm, fit))
    good = [p for p in taken if p.fit.reliable]
    point = {
        "mag_index": snapshot.mag.index,
        "magnification": snapshot.mag.magnification,
        **step_statistics(good),
        "n_rejected": len(taken) - len(good),
        "measurement_id": _first_measurement(good),
    }
    if good and first_vec is not None:
        reemerged = np.subtract(point["astig_vec_nm"], first_vec)
        point.update(
            reemerged_vec_nm=reemerged.tolist(), reemerged_nm=float(np.linalg.norm(reemerged))
        )
    if params.correct_each and not first_point and good:
        point["direct_correction"] = await _direct(ctx, params, point, reference_stig)
    await ctx.emit("step", point)
    return point


def _first_measurement(points: list[SweepPoint]) -> int | None:
    """Return the measurement id of the first reliable frame, if it was stored."""
    ids = points[0].fit.parameters.get("measurement_ids") if points else None
    return ids[0] if ids else None


async def _direct(ctx, params: MagSweepParams, point: dict, reference_stig) -> dict[str, Any]:
    """Correct at this magnification, report what it removed, and go back to the reference."""
    try:
        outcome = await correct_here(ctx, params.correction)
    except ProcedureError as error:
        await warn(ctx, f"direct correction at index {point['mag_index']} failed: {error}")
        outcome = {"failed": error.reason}
    else:
        removed = np.subtract(point["astig_vec_nm"], outcome["final"]["astig_vec_nm"])
        change = np.subtract(outcome["stig_final"], reference_stig)
        outcome = {
            "astig_after_nm": outcome["astig_final_nm"],
            "moves": outcome["moves"],
            "astig_removed_vec_nm": removed.tolist(),
            "astig_removed_nm": float(np.linalg.norm(removed)),
            "stig_change": change.tolist(),
        }
    if not np.allclose(await ctx.scope.get_stigmator(), reference_stig, atol=1e-4):
        await move_stigmator(ctx, reference_stig, "back to the first magnification's correction")
    return outcome


async def _store(ctx, points: list[dict], reference_stig) -> dict[str, Any]:
    """Store the profile and return the result's profile part."""
    measured = [p for p in points if p.get("n")]
    if len(measured) < 2:
        raise ProcedureError("fewer than two magnifications gave reliable fits: no profile")
    snapshot = await ctx.scope.snapshot()
    stored = [_stored_point(p, reference_stig) for p in measured]
    record = {"defocus_nm": snapshot.defocus_nm, "points": stored}
    profile_id = await ctx.calibrations.save(KIND, snapshot, record)
    return {"profile_id": profile_id, "defocus_nm": snapshot.defocus_nm, "points": points}


def _stored_point(point: dict, reference_stig) -> dict[str, Any]:
    """Return the stored point: mean vector, its standard error and RMSD, defocus, stigmators."""
    standard_error = point["astig_rmsd_nm"] / np.sqrt(max(point["n"] - 1, 1))
    reemerged = point.get("reemerged_vec_nm") or (None, None)
    return {
        "mag_index": point["mag_index"],
        "magnification": point["magnification"],
        "astig_x_nm": point["astig_vec_nm"][0],
        "astig_y_nm": point["astig_vec_nm"][1],
        "astig_uncertainty_nm": float(standard_error),
        "astig_rmsd_nm": point["astig_rmsd_nm"],
        "fitted_defocus_nm": point["fitted_defocus_nm"],
        "defocus_rmsd_nm": point["defocus_rmsd_nm"],
        "n_frames": point["n"],
        "n_rejected": point["n_rejected"],
        "reemerged_x_nm": reemerged[0],
        "reemerged_y_nm": reemerged[1],
        "direct_correction": point.get("direct_correction"),
        "stig_x": reference_stig[0],
        "stig_y": reference_stig[1],
        "measurement_id": point["measurement_id"],
    }
