"""Past calibrations written into an e2e database: the days before the served scope's today.

A service cannot make yesterday's sweep today, so the e2e history tests write past rows through
the app's models. The past lens sweeps are what the simulated lens (same seed, the default lens
statistics) really was on each of those days, so the history is the simulator's own.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from astigd.app.db.calibrations import illumination_key
from astigd.app.db.engine import make_engine, make_session_factory
from astigd.app.db.keys import create_key
from astigd.app.db.models import (
    AnisoMagCalibration,
    BtidCalibration,
    LensSweep,
    PixelSizeCalibration,
)
from astigd.drivers.records import Illumination
from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.lens import lens_on

IDENTITY = [[1.0, 0.0], [0.0, 1.0]]


def optics_key(state: dict) -> dict:
    """Return the calibration key columns of the scope's current state (GET /scopes/{id}/state)."""
    light = Illumination(probe_mode=state.get("probe_mode"), alpha=state.get("alpha"))
    return {"scope_id": state["scope_id"], "ht_kv": round(state["ht_kv"], 3),
            "probe_mode_or_alpha": illumination_key(light)}  # fmt: skip


def past_lens_sweeps(session: Session, key: dict, mag_index: int, days: int, now: datetime):
    """Write one lens sweep per past day: the simulated lens's K that day, with fit errors."""
    simulator = SimulatorConfig()
    for back in range(days, 0, -1):
        at = now - timedelta(days=back, hours=1)
        k_x, k_y = 1000.0 * lens_on(simulator.seed, at.date(), simulator.lens).slope_vec
        k_obj = math.hypot(k_x, k_y)
        session.add(LensSweep(
            **key, mag_index=mag_index, created_at=at,
            k_magnitude_nm_per_um=k_obj, k_magnitude_se_nm_per_um=0.04 * k_obj,
            k_angle_deg=math.degrees(0.5 * math.atan2(k_y, k_x)) % 180.0, k_angle_se_deg=2.0,
            k_x_nm_per_um=k_x, k_y_nm_per_um=k_y, r_squared=0.97,
            reference_defocus_nm=2000.0, defocus_min_nm=1000.0, defocus_max_nm=3000.0,
            n_points=10,
        ))  # fmt: skip


def old_gold_and_btid(session: Session, key: dict, mag_index: int, at: datetime) -> None:
    """Write a gold (pixel size, anisotropy) and a BTID calibration made at `at`."""
    common = {**key, "mag_index": mag_index, "created_at": at}
    session.add(PixelSizeCalibration(**common, pixel_size_A=0.81, pixel_size_uncertainty_A=0.002,
                                     method="gold_rings"))  # fmt: skip
    session.add(AnisoMagCalibration(**common, scale_major=1.006, scale_minor=0.994, angle_deg=35.0,
                                    anisotropy_uncertainty=0.001, method="gold_rings",
                                    n_frames=4))  # fmt: skip
    session.add(BtidCalibration(
        **common, tilt_mrad=5.0, n_directions=4, reference_method="ctf",
        reference_defocus_nm=2000.0, reference_astig_x_nm=6.0, reference_astig_y_nm=-4.0,
        reference_astig_uncertainty_nm=2.0, reference_stig_x=0.0, reference_stig_y=0.0,
        g_reference=IDENTITY, focus_response=IDENTITY, stigmator_shift_responses=[IDENTITY] * 2,
        astig_response_nm_per_unit=IDENTITY, focus_step_nm=200.0, stig_step=0.02,
        residual_rms_px=0.3,
    ))  # fmt: skip


def seed_past(database_url: str, state: dict, days: int) -> str:
    """Write past lens sweeps, 3-day-old gold and BTID calibrations; return a read-only key."""
    key = optics_key(state)
    now = datetime.now(UTC)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            past_lens_sweeps(session, key, state["mag_index"], days, now)
            old_gold_and_btid(session, key, state["mag_index"] + 2, now - timedelta(days=3))
            session.commit()
            return create_key(session, ["read"], name="viewer")
    finally:
        engine.dispose()
