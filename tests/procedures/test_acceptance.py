"""Daily acceptance: the day's K is logged, compared with history, and compensation holds."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from astigd.app.db.base import utc_now
from astigd.app.db.calibrations import illumination_key
from astigd.app.db.models import LensSweep
from astigd.app.procedures import acceptance, calibrate_stigmators
from astigd.app.procedures.params import CorrectionSettings
from tests.procedures.rig import SCOPE_ID

pytestmark = pytest.mark.anyio

PARAMS = acceptance.AcceptanceParams(
    mag_index=7,
    defocus_min_nm=500.0,
    defocus_max_nm=3500.0,
    defocus_step_nm=300.0,
    frames_per_step=2,
    exposure_s=4.0,
    correction=CorrectionSettings(target_resolution_A=2.0, exposure_s=8.0),
)


def add_history(rig, snapshot, days_k_angle: list[tuple[int, float, float]]) -> None:
    """Write past lens sweeps for the snapshot's optics, `days` ago."""
    key = snapshot.optics_key
    with rig.sessions() as session:
        for days, k_obj, angle in days_k_angle:
            session.add(LensSweep(
                scope_id=SCOPE_ID, ht_kv=key.ht_kv, mag_index=key.mag_index,
                probe_mode_or_alpha=illumination_key(key.illumination),
                created_at=utc_now() - timedelta(days=days), k_magnitude_nm_per_um=k_obj,
                k_angle_deg=angle, k_x_nm_per_um=0.0, k_y_nm_per_um=0.0,
                reference_defocus_nm=2000.0, defocus_min_nm=500.0, defocus_max_nm=3500.0,
                n_points=22,
            ))  # fmt: skip
        session.commit()


async def test_acceptance_logs_k_alerts_on_history_and_its_compensation_holds(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_defocus_nm(1000.0)
    await calibrate_stigmators.run(await rig.runtime(), calibrate_stigmators.CalibrateParams())
    truth = rig.truth()
    past_angle = (truth["lens_slope_angle_deg"] + 45.0) % 180.0
    add_history(
        rig, await rig.scope.snapshot(), [(d, 60.0 + d % 2, past_angle) for d in (1, 2, 3, 4)]
    )
    result = rig.json_ready(await acceptance.run(await rig.runtime(), PARAMS))

    assert result["k_obj_nm_per_um"] == pytest.approx(truth["lens_slope_nm_per_um"], abs=1.0)
    assert {a["alert"] for a in result["alerts"]} == {"k_obj_outlier", "angle_jump"}
    assert len(rig.kinds("alert")) == 2 and result["history"]["n_history"] == 4
    assert result["correction"]["converged"] and result["median_defocus_nm"] == 2000.0
    assert await rig.scope.get_defocus_nm() == 1000.0

    corrected = np.array(result["correction"]["stig_final"])
    slope = np.array(truth["lens_slope_vec_nm_per_um"])
    for row in result["compensation"]:
        await rig.scope.set_defocus_nm(row["defocus_nm"])
        await rig.scope.walk_stigmator(*row["stig"])
        assert rig.astig_truth_nm() <= 10.0, row
        await rig.scope.walk_stigmator(*corrected)
        drift_nm = np.linalg.norm(slope * (row["defocus_nm"] - 2000.0) / 1000.0)
        assert rig.astig_truth_nm() == pytest.approx(drift_nm, abs=8.0)  # uncompensated: K·Δdf
    assert drift_nm > 40.0
