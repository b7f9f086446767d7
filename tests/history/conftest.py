"""History tests: the API fixtures and lens-sweep rows written on chosen days."""

from __future__ import annotations

from datetime import datetime

from astigd.app.db.models import LensSweep, StigmatorCalibration
from tests.api.conftest import app, settings  # noqa: F401


def add_sweep(
    service, at: datetime, k_obj: float, angle_deg: float, mag_index: int = 5,
    illumination: str = "none",
) -> int:  # fmt: skip
    """Write one lens sweep row at a given time, through the models."""
    with service.state.sessions() as session:
        row = LensSweep(
            scope_id="sim", ht_kv=300.0, probe_mode_or_alpha=illumination, mag_index=mag_index,
            k_magnitude_nm_per_um=k_obj, k_magnitude_se_nm_per_um=0.1 * k_obj,
            k_angle_deg=angle_deg, k_angle_se_deg=1.5, k_x_nm_per_um=k_obj, k_y_nm_per_um=0.0,
            r_squared=0.97, reference_defocus_nm=1500.0, defocus_min_nm=500.0,
            defocus_max_nm=3500.0, n_points=9, created_at=at,
        )  # fmt: skip
        session.add(row)
        session.commit()
        return row.id


def add_response(service, at: datetime, mag_index: int = 5, illumination: str = "none") -> int:
    """Write one stigmator calibration row at a given time, through the models."""
    with service.state.sessions() as session:
        row = StigmatorCalibration(
            scope_id="sim", ht_kv=300.0, probe_mode_or_alpha=illumination, mag_index=mag_index,
            response_xx_nm=80.0, response_xy_nm=0.0, response_yx_nm=0.0, response_yy_nm=90.0,
            created_at=at,
        )  # fmt: skip
        session.add(row)
        session.commit()
        return row.id
