"""The stored stigmator response and lens slope as math objects, and a sweep's reference."""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.db.models import LensSweep, LensSweepPoint, Measurement, StigmatorCalibration
from astigd.workers.stigmator_response import StigmatorResponse


def response_of(row: StigmatorCalibration) -> StigmatorResponse:
    """Return the StigmatorResponse a stigmator calibration row holds."""
    matrix = np.array(
        [[row.response_xx_nm, row.response_xy_nm], [row.response_yx_nm, row.response_yy_nm]],
        dtype=float,
    )
    residual = row.residual_rms_nm if row.residual_rms_nm is not None else math.nan
    return StigmatorResponse(matrix, np.zeros(2), residual, int(row.n_probes or 0))


def usable_response(response: StigmatorResponse) -> bool:
    """Return whether a response is finite and MX, MY act in clearly different directions."""
    finite = bool(np.isfinite(response.matrix_nm_per_unit).all())
    return finite and math.isfinite(response.condition_number) and response.well_conditioned


def slope_of(sweep: LensSweep) -> tuple[float, float]:
    """Return the sweep's K vector (Kx, Ky) in nm per µm of defocus."""
    return float(sweep.k_x_nm_per_um), float(sweep.k_y_nm_per_um)


def reference_astig_of(sweep: LensSweep) -> tuple[float, float]:
    """Return the astigmatism vector at the sweep's reference defocus (zero if not stored)."""
    return float(sweep.astig_ref_x_nm or 0.0), float(sweep.astig_ref_y_nm or 0.0)


def sweep_stigmators(session: Session, sweep: LensSweep) -> tuple[float, float] | None:
    """Return the stigmators the sweep was taken at, from its points' measurement snapshots.

    The sweep moves only the focus, so every point's optics snapshot carries the same
    stigmators; the first one found is returned, or None when no point recorded them.
    """
    query = (
        select(Measurement.optics)
        .join(LensSweepPoint, LensSweepPoint.measurement_id == Measurement.id)
        .where(LensSweepPoint.sweep_id == sweep.id)
        .order_by(LensSweepPoint.id)
    )
    for optics in session.scalars(query):
        stig = _stig_in(optics or {})
        if stig is not None:
            return stig
    return None


def _stig_in(optics: dict) -> tuple[float, float] | None:
    """Return the stigmators an optics snapshot carries (`stig` pair or stig_x/stig_y)."""
    pair = optics.get("stig")
    if pair is None and optics.get("stig_x") is not None and optics.get("stig_y") is not None:
        pair = (optics["stig_x"], optics["stig_y"])
    if pair is None or len(pair) != 2 or any(value is None for value in pair):
        return None
    return float(pair[0]), float(pair[1])
