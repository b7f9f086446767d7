"""Magnification sweeps: the defocus profile repeats between runs; the astigmatism does not."""

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


async def test_the_defocus_profile_repeats_and_the_astigmatism_profile_does_not(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_mag_index(9)
    await rig.save_true_calibration()
    start = await rig.scope.snapshot()
    runs = [rig.json_ready(await mag_sweep.run(await rig.runtime(), PARAMS)) for _ in range(2)]
    defocus = [profile(run, "fitted_defocus_nm") for run in runs]
    astig = [profile(run, "astig_vec_nm") for run in runs]
    noise_nm = max(profile(run, "astig_rmsd_nm").max() for run in runs)
    assert np.ptp(defocus[0]) > 100.0  # each magnification has its own focus offset ...
    assert np.abs(defocus[1] - defocus[0]).max() < 10.0  # ... and it comes back every time
    astig_change_nm = np.linalg.norm(astig[1] - astig[0], axis=1)
    assert np.sqrt((astig_change_nm**2).mean()) > max(8.0, 3.0 * noise_nm)  # it does not
    assert [p["mag_index"] for p in runs[0]["points"]] == list(MAGS)
    assert runs[0]["correction"]["converged"]
    assert await rig.scope.get_mag_index() == 9
    assert await rig.scope.get_defocus_nm() == start.defocus_nm
    assert await rig.scope.get_stigmator() == pytest.approx(runs[1]["reference_stig"])
    stored = await rig.store.history("mag_profile")
    assert [row["id"] for row in stored] == [runs[1]["profile_id"], runs[0]["profile_id"]]
    assert [point["mag_index"] for point in stored[0]["points"]] == list(MAGS)


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
