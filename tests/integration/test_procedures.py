"""Calibrate, correct and sweep through HTTP only, with fits on two Dask workers; then lose one
in the middle of a fit (found from the workers' Prometheus metrics) and still finish the sweep."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.jobs import (
    CALIBRATE,
    EXPOSURE_S,
    SWEEP,
    assert_rows_match_the_api,
    count_rows,
    events,
    final,
    run,
    submit,
    truth,
    wait_for,
)

pytestmark = pytest.mark.integration
EXECUTING = 'dask_worker_tasks{state="executing"} 1.0'


def angle_error_deg(a: float, b: float) -> float:
    error = abs(a - b) % 180.0
    return min(error, 180.0 - error)


def test_calibration_correction_and_sweep_are_right_with_fits_on_dask(deployment):
    with deployment.client() as api:
        start_nm = truth(deployment.simulator_url)["astig_nm"]
        calibration = run(api, "calibrate_stigmators", CALIBRATE)
        moved = api.post("/scopes/sim/defocus", json={"defocus_nm": 2000.0, "compensate": False})
        assert moved.status_code == 200, moved.text
        correct = {"exposure_s": EXPOSURE_S, "frames": 1, "target_resolution_A": 2.0}
        correction = run(api, "correct", correct)
        moves = correction["result"]
        assert moves["astig_final_nm"] < moves["astig_start_nm"]
        assert truth(deployment.simulator_url)["astig_nm"] <= min(10.0, start_nm)

        sweep = run(api, "defocus_sweep", SWEEP)
        slope = sweep["result"]
        lens = truth(deployment.simulator_url)
        assert slope["k_obj_nm_per_um"] == pytest.approx(lens["lens_slope_nm_per_um"], abs=2.0)
        assert angle_error_deg(slope["angle_deg"], lens["lens_slope_angle_deg"]) < 5.0

        for job in (calibration, correction, sweep):
            assert_rows_match_the_api(api, deployment.database, job["id"])
        assert count_rows(deployment.database, "stigmator_calibrations", calibration["id"]) == 1
        assert count_rows(deployment.database, "optics_audit", correction["id"]) >= 1
        assert count_rows(deployment.database, "lens_sweeps", sweep["id"]) == 1


def fitting_worker(deployment):
    """Return the worker that is running a fit now, or None (from its Prometheus metrics)."""
    for worker in deployment.workers:
        metrics = httpx.get(f"{worker.url}/metrics", timeout=5.0).text
        if EXECUTING in metrics:
            return worker
    return None


def test_a_sweep_completes_when_a_worker_dies_mid_fit(deployment):
    with deployment.client() as api:
        job = submit(api, "defocus_sweep", SWEEP)
        busy = wait_for(lambda: fitting_worker(deployment), poll_s=0.01)
        busy.kill()
        assert any(worker.running() for worker in deployment.workers)
        ended = final(api, job["id"])
        assert ended["state"] == "succeeded", ended["error"]
        lens = truth(deployment.simulator_url)
        k = ended["result"]["k_obj_nm_per_um"]
        assert k == pytest.approx(lens["lens_slope_nm_per_um"], abs=2.0)
        assert len(events(api, job["id"], "fit")) == 10  # 5 defocus steps x 2 frames
        assert_rows_match_the_api(api, deployment.database, job["id"])
