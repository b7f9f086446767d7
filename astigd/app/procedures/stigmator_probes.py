"""Stigmator probes for the calibration: move, fit (re-acquiring bad fits), solve and check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import warn
from astigd.app.procedures.measure import astig_vector, measure
from astigd.app.procedures.moves import move_stigmator
from astigd.app.procedures.params import AveragedShots
from astigd.workers.results import CtfFit
from astigd.workers.stigmator_response import StigmatorResponse, solve_response

MAX_RESIDUAL_NM = 30.0
MAX_PROBE_EXPOSURE_S = 30.0  # longest re-acquisition of a probe
AXES = ("MX", "MY")


@dataclass(frozen=True)
class Probe:
    """One stigmator setting and the fit there."""

    label: str
    stig: np.ndarray
    fit: CtfFit

    @property
    def vector_nm(self) -> np.ndarray:
        """Return the fitted astigmatism vector."""
        return astig_vector(self.fit)


async def probe(
    ctx: ProcedureContext,
    shots: AveragedShots,
    stig: np.ndarray,
    label: str,
    retries: int,
    required: bool = True,
) -> Probe:
    """Move to a stigmator setting and fit there, re-acquiring an unreliable fit.

    Each re-acquisition exposes twice as long as the one before (every frame is gated on its
    own, so averaging more frames would not help): a fit refused only for its uncertainty then
    passes the gate instead of failing it again on another frame as noisy.
    """
    await ctx.checkpoint()
    if not np.allclose(await ctx.scope.get_stigmator(), stig, atol=1e-4):
        await move_stigmator(ctx, stig, f"calibration probe {label}")
    for attempt in range(retries + 1):
        exposure_s = min(shots.exposure_s * 2**attempt, MAX_PROBE_EXPOSURE_S)
        fit = await measure(ctx, shots.model_copy(update={"exposure_s": exposure_s}),
                            f"probe {label}")  # fmt: skip
        if fit.reliable:
            break
        if attempt < retries:
            longer_s = min(2 * exposure_s, MAX_PROBE_EXPOSURE_S)
            await warn(ctx, f"probe {label}: unreliable fit ({fit.reason}); acquiring again "
                            f"with a {longer_s:g} s exposure")  # fmt: skip
    if required and not fit.reliable:
        raise ProcedureError(f"calibration probe {label} could not be fitted: {fit.reason}")
    return Probe(label, np.array(stig, float), fit)


def induced_nm(probe: Probe, centre: Probe) -> float | None:
    """Return the astigmatism a probe induced relative to the centre, or None if unfitted."""
    if not probe.fit.reliable:
        return None
    return float(np.linalg.norm(probe.vector_nm - centre.vector_nm))


def check_response(probes: list[Probe]) -> StigmatorResponse:
    """Solve the response over all probes; refuse if nonlinear or ill-conditioned."""
    stigs = np.array([p.stig for p in probes])
    response = solve_response(stigs, np.array([p.vector_nm for p in probes]))
    if response.residual_rms_nm > MAX_RESIDUAL_NM:
        raise ProcedureError(
            f"the probes do not fit a linear response (residual {response.residual_rms_nm:.1f} "
            f"nm > {MAX_RESIDUAL_NM:.0f} nm): drift, hysteresis or bad fits; nothing stored"
        )
    if not response.well_conditioned:
        raise ProcedureError(
            f"MX and MY act {response.column_angle_deg:.0f}° apart in doubled-angle space "
            "(expected about 90°): the stigmators are miswired or faulty; nothing stored"
        )
    return response


def residual_rows(probes: list[Probe], response: StigmatorResponse) -> list[dict[str, Any]]:
    """Return each probe's setting, measured vector and residual from the solved response."""
    rows = []
    for p in probes:
        predicted = response.offset_nm + response.matrix_nm_per_unit @ p.stig
        rows.append(
            {
                "label": p.label,
                "stig": p.stig.tolist(),
                "astig_vec_nm": p.vector_nm.tolist(),
                "residual_nm": (p.vector_nm - predicted).tolist(),
            }
        )
    return rows


def column_summary(response: StigmatorResponse) -> dict[str, Any]:
    """Return the columns' gains and directions, their angle and the conditioning."""
    matrix = response.matrix_nm_per_unit
    return {
        "column_gain_nm_per_unit": np.linalg.norm(matrix, axis=0).tolist(),
        "column_direction_deg": np.degrees(np.arctan2(matrix[1], matrix[0])).tolist(),
        "column_angle_deg": response.column_angle_deg,
        "well_conditioned": response.well_conditioned,
    }
