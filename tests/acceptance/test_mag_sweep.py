"""Issue 5's magnification figure over HTTP: the defocus profile repeats, astigmatism does not."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

MAGS = [9, 8, 7, 6, 5]
PARAMS = {"mag_indices": MAGS, "defocus_nm": 2000.0, "frames_per_mag": 2, "exposure_s": 4.0,
          "correction": {"target_resolution_A": 2.0, "exposure_s": 8.0}}  # fmt: skip


def profile(result: dict, key: str) -> np.ndarray:
    return np.array([point[key] for point in result["points"]])


def test_the_defocus_profile_repeats_between_runs_and_the_astigmatism_profile_does_not(
    make_service,
) -> None:
    service = make_service(5)
    service.set_defocus(2000.0)
    service.run("calibrate_stigmators", {"exposure_s": 4.0})
    runs = [service.run("mag_sweep", PARAMS) for _ in range(2)]
    defocus = [profile(run, "fitted_defocus_nm") for run in runs]
    astig = [profile(run, "astig_vec_nm") for run in runs]
    noise_nm = max(profile(run, "astig_rmsd_nm").max() for run in runs)
    assert np.ptp(defocus[0]) > 100.0  # each magnification has its own focus offset ...
    assert np.abs(defocus[1] - defocus[0]).max() < 10.0  # ... and it comes back every time
    astig_change_nm = np.linalg.norm(astig[1] - astig[0], axis=1)
    assert np.sqrt((astig_change_nm**2).mean()) > max(8.0, 3.0 * noise_nm)  # it does not
    profiles = service.get("/scopes/sim/magnification-profiles")
    assert {p["id"] for p in profiles["items"]} >= {run["profile_id"] for run in runs}
