"""Magnification sweeps at the procedure level: points, storage and the scope put back.

That the defocus profile repeats between runs and the astigmatism profile does not is proven
through the HTTP API in tests/acceptance/test_mag_sweep.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from astigd.app.procedures import mag_sweep
from astigd.app.procedures.params import CorrectionSettings

pytestmark = pytest.mark.anyio

MAGS = (9, 8, 7, 6, 5)
CORRECTION = CorrectionSettings(target_resolution_A=2.0, exposure_s=8.0)
PARAMS = mag_sweep.MagSweepParams(
    mag_indices=MAGS, defocus_nm=2000.0, frames_per_mag=2, exposure_s=4.0, correction=CORRECTION
)


def profile(result: dict, key: str) -> np.ndarray:
    return np.array([point[key] for point in result["points"]])


async def test_a_sweep_visits_each_magnification_stores_its_profile_and_restores(
    make_rig,
) -> None:
    rig = make_rig()
    await rig.scope.set_mag_index(9)
    await rig.save_true_calibration()
    start = await rig.scope.snapshot()
    result = rig.json_ready(await mag_sweep.run(await rig.runtime(), PARAMS))
    assert [p["mag_index"] for p in result["points"]] == list(MAGS)
    assert np.ptp(profile(result, "fitted_defocus_nm")) > 100.0  # a focus offset per magnification
    assert result["correction"]["converged"]
    assert await rig.scope.get_mag_index() == 9
    assert await rig.scope.get_defocus_nm() == start.defocus_nm
    assert await rig.scope.get_stigmator() == pytest.approx(result["reference_stig"])
    (stored,) = await rig.store.history("mag_profile")
    assert stored["id"] == result["profile_id"]
    assert [point["mag_index"] for point in stored["points"]] == list(MAGS)
    for kept, measured in zip(stored["points"], result["points"], strict=True):
        assert [kept["astig_x_nm"], kept["astig_y_nm"]] == measured["astig_vec_nm"]
        assert kept["astig_rmsd_nm"] == measured["astig_rmsd_nm"]
        assert kept["fitted_defocus_nm"] == measured["fitted_defocus_nm"]
        assert kept["defocus_rmsd_nm"] == measured["defocus_rmsd_nm"]
        assert (kept["n_frames"], kept["n_rejected"]) == (measured["n"], measured["n_rejected"])
    assert [kept["reemerged_x_nm"], kept["reemerged_y_nm"]] == measured["reemerged_vec_nm"]


async def test_correcting_at_each_magnification_reports_what_re_emerged(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_mag_index(7)
    await rig.save_true_calibration()
    params = PARAMS.model_copy(update={"mag_indices": (7, 6), "correct_each": True})
    result = rig.json_ready(await mag_sweep.run(await rig.runtime(), params))
    first, second = result["points"]
    direct = second["direct_correction"]
    assert "direct_correction" not in first
    assert direct["astig_after_nm"] < 10.0
    assert direct["astig_removed_nm"] == pytest.approx(second["astig_nm"], abs=10.0)
    assert second["reemerged_nm"] > 10.0
    assert await rig.scope.get_stigmator() == pytest.approx(result["reference_stig"])
    (stored,) = await rig.store.history("mag_profile")
    kept_first, kept_second = stored["points"]
    assert kept_first["direct_correction"] is None and kept_first["reemerged_x_nm"] is None
    assert kept_second["direct_correction"] == direct
    assert kept_second["reemerged_x_nm"] == second["reemerged_vec_nm"][0]
