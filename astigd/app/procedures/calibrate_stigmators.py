"""Calibrate the stigmator response from ± probes on MX and MY (SerialEM's "Astigmatism by CTF").

At the current magnification and probe mode or alpha, and 1.5–2.5 µm underfocus: small probes
on each stigmator give a rough response, which centres the main probes where the astigmatism
is cancelled (so a large probe stays within the fitter's range). Each stigmator is then probed
by ±Δ, with Δ adapted per axis until the induced astigmatism is 0.5–1 µm. The 2×2 response
(nm of astigmatism vector per stigmator unit, doubled-angle space) is solved by least squares
over every probe, checked for linearity and conditioning, and appended to the store. The
stigmators and the focus return to where they started.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import announce, warn
from astigd.app.procedures.moves import check_stig_range, move_stigmator, set_defocus, stig_limit
from astigd.app.procedures.params import AveragedShots
from astigd.app.procedures.stigmator_calibration import KIND, response_record
from astigd.app.procedures.stigmator_probes import (
    AXES,
    Probe,
    check_response,
    column_summary,
    induced_nm,
    probe,
    residual_rows,
)
from astigd.outputs.records import json_safe

NAME = "calibrate_stigmators"
INDUCED_BAND_NM = (500.0, 1000.0)
PROBE_STEP_RANGE = (0.01, 0.6)
SHRINK_ON_FAILURE = 0.7


class CalibrateParams(AveragedShots):
    """Parameters of `calibrate_stigmators` (probe steps in normalized stigmator units)."""

    defocus_nm: float = Field(2000.0, ge=1500.0, le=2500.0)
    probe_step: float = Field(0.1, ge=PROBE_STEP_RANGE[0], le=PROBE_STEP_RANGE[1])  # rough probes
    target_induced_astig_nm: float = Field(600.0, ge=INDUCED_BAND_NM[0], le=INDUCED_BAND_NM[1])
    max_adaptations: int = Field(3, ge=0, le=6)
    retries: int = Field(1, ge=0, le=3)  # re-acquisitions of a probe whose fit is unreliable


async def run(ctx: ProcedureContext, params: CalibrateParams) -> dict[str, Any]:
    """Probe both stigmators, solve and check the response, store it, restore the scope."""
    await announce(ctx, NAME, params)
    start_defocus_nm = await ctx.scope.get_defocus_nm()
    await set_defocus(ctx, params.defocus_nm, "calibrate at the requested defocus")
    start_stig = np.array(await ctx.scope.get_stigmator())
    origin = await probe(ctx, params, start_stig, "start", params.retries)
    rough = [await _probe_axis(ctx, params, start_stig, axis, params.probe_step, "rough")
             for axis in (0, 1)]  # fmt: skip
    centre_stig, gains = _centre(ctx, origin, rough, params.probe_step)
    centre = await probe(ctx, params, centre_stig, "centre", params.retries)
    probes, steps, main = [origin, *rough, centre], [], []
    for axis in (0, 1):
        tried, step = await adapt(ctx, params, centre, axis, gains[axis])
        minus = await _probe_axis(ctx, params, centre_stig, axis, -step, "")
        probes, steps, main = [*probes, *tried, minus], [*steps, step], [*main, tried[-1], minus]
    probes.append(await probe(ctx, params, centre_stig, "centre again", params.retries))
    response = check_response(probes)
    snapshot = await ctx.scope.snapshot()
    details = {"residuals_nm": residual_rows(probes, response), "probe_step": float(np.mean(steps)),
               "probe_steps": steps, "defocus_nm": params.defocus_nm}  # fmt: skip
    record = response_record(response, **details)
    calibration_id = await ctx.calibrations.save(KIND, snapshot, record)
    await move_stigmator(ctx, start_stig, "return to the starting stigmators")
    await set_defocus(ctx, start_defocus_nm, "return to the starting defocus")
    induced = [induced_nm(p, centre) for p in main]  # +MX, −MX, +MY, −MY
    return json_safe({**record, **column_summary(response), "calibration_id": calibration_id,
                      "mag_index": snapshot.mag.index, "centre_stig": centre_stig.tolist(),
                      "induced_astig_nm": induced})  # fmt: skip


async def _probe_axis(ctx, params, around: np.ndarray, axis: int, step: float, kind: str, **kw):
    """Probe one stigmator by a signed step around a setting."""
    label = f"{kind} {'+' if step > 0 else '-'}{AXES[axis]}".strip()
    return await probe(ctx, params, around + step * np.eye(2)[axis], label, params.retries, **kw)


def _centre(ctx, origin: Probe, rough: list[Probe], step: float) -> tuple[np.ndarray, list]:
    """Return the setting that cancels the astigmatism by the rough response, and its gains."""
    columns = np.column_stack([(p.vector_nm - origin.vector_nm) / step for p in rough])
    gains = np.linalg.norm(columns, axis=0).tolist()
    if min(gains) <= 0 or np.linalg.cond(columns) > 1e3:
        raise ProcedureError("the rough probes show no independent response of MX and MY")
    centre = origin.stig - np.linalg.solve(columns, origin.vector_nm)
    check_stig_range(ctx.scope, tuple(centre), "centring the calibration probes")
    return centre, gains


async def adapt(ctx, params: CalibrateParams, centre: Probe, axis: int, gain: float):
    """Probe +Δ on one axis, adapting Δ until the induced astigmatism is in the band."""
    room = stig_limit(ctx.scope) - abs(float(centre.stig[axis]))
    if room < PROBE_STEP_RANGE[0]:
        raise ProcedureError(f"{AXES[axis]} is at {centre.stig[axis]:+.3f}: no room to probe it")
    step = _clip(params.target_induced_astig_nm / gain, room)
    tried = []
    for attempt in range(params.max_adaptations + 1):
        tried.append(await _probe_axis(ctx, params, centre.stig, axis, step, "", required=False))
        induced = induced_nm(tried[-1], centre)
        if _in_band(induced) or attempt == params.max_adaptations:
            break
        wanted = step * (SHRINK_ON_FAILURE if induced is None else params.target_induced_astig_nm
                         / induced)  # fmt: skip
        if _clip(wanted, room) == step:
            break
        step = _clip(wanted, room)
    await _report_step(ctx, tried[-1], axis, step, induced)
    return [p for p in tried if p.fit.reliable], step


def _clip(step: float, room: float) -> float:
    return float(np.clip(step, PROBE_STEP_RANGE[0], min(room, PROBE_STEP_RANGE[1])))


def _in_band(induced: float | None) -> bool:
    return induced is not None and INDUCED_BAND_NM[0] <= induced <= INDUCED_BAND_NM[1]


async def _report_step(ctx, plus: Probe, axis: int, step: float, induced: float | None) -> None:
    """Refuse when the probe never fitted; warn when Δ could not reach the band; report Δ."""
    if induced is None:
        raise ProcedureError(f"calibration probe {plus.label} could not be fitted: "
                             f"{plus.fit.reason}")  # fmt: skip
    if not _in_band(induced):
        low, high = INDUCED_BAND_NM
        await warn(ctx, f"{AXES[axis]}: probe step {step:.3f} induces {induced:.0f} nm, outside "
                        f"{low:.0f}–{high:.0f} nm")  # fmt: skip
    payload = {"what": "probe step", "axis": AXES[axis], "probe_step": step}
    await ctx.emit("step", {**payload, "induced_astig_nm": induced})
