"""The daily workflow through the HTTP API only: calibrate, correct, sweep, compensate.

The simulated scope runs in the service's process, so its truth is read from the app to score
the outcome; everything the test does to the scope goes through /api/v1.
"""

import pytest
import yaml

from astigd.app.main import create_app
from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.truth import truth_report
from tests.api.conftest import make_settings
from tests.jobs.conftest import SIMULATOR, submit, wait_final

pytestmark = pytest.mark.slow

EXPOSURE = {"exposure_s": 4.0, "frames": 1}


def calibrated_inventory(path, **entry) -> str:
    """Write an inventory declaring the simulated scope's pixel sizes and anisotropy, as a site
    that has calibrated them (issue 8's gold calibration) would; `entry` overrides the driver."""
    table = SimulatedMicroscope(SimulatorConfig(seed=SIMULATOR["seed"])).state.table
    rows = [{"mag_index": index, "pixel_size_A": mag.pixel_size_A,
             "aniso": {"scale_major": mag.aniso.scale_major, "scale_minor": mag.aniso.scale_minor,
                       "angle_deg": mag.aniso.angle_deg}}
            for index, mag in table.items()]  # fmt: skip
    scope = {"id": "sim", "driver": "simulator", **entry, "optics": {"magnifications": rows}}
    scopes = {"scopes": [scope]}
    path.write_text(yaml.safe_dump(scopes))
    return str(path)


@pytest.fixture
def app(db_url, tmp_path, clean_env, jobs_settings):
    scopes_file = calibrated_inventory(tmp_path / "scopes.yaml")
    settings = make_settings(
        db_url, tmp_path, simulator=SIMULATOR, jobs=jobs_settings, scopes_file=scopes_file
    )
    return create_app(settings)


def true_astig_nm(app) -> float:
    return float(truth_report(app.state.scopes["sim"].simulator)["astig_nm"])


def run(client, control, procedure, params):
    response = submit(client, control, procedure, params)
    assert response.status_code == 201, response.text
    job = wait_final(client, control, response.json()["id"], timeout_s=240.0)
    assert job["state"] == "succeeded", job["error"]
    return job["result"]


def test_calibrate_then_correct_then_sweep_through_the_api(app, client, control):
    start_nm = true_astig_nm(app)
    run(client, control, "calibrate_stigmators", {"exposure_s": 4.0})
    focus = {"defocus_nm": 2000.0, "compensate": False}
    moved = client.post("/api/v1/scopes/sim/defocus", json=focus, headers=control)
    assert moved.status_code == 200, moved.text
    result = run(client, control, "correct", {**EXPOSURE, "target_resolution_A": 2.0})
    assert result["moves"] <= 3 and result["astig_final_nm"] < result["astig_start_nm"]
    assert true_astig_nm(app) <= min(10.0, start_nm)

    sweep = run(client, control, "defocus_sweep", {"exposure_s": 4.0, "defocus_start_nm": 1000.0,
                                                   "defocus_stop_nm": 3000.0,
                                                   "defocus_step_nm": 500.0,
                                                   "frames_per_step": 2})  # fmt: skip
    truth = truth_report(app.state.scopes["sim"].simulator)
    # A short sweep of 512² frames: hold it to its own standard error (tests/acceptance holds a
    # full sweep to the issue's ±1 nm/µm). Fits differ in the last bits from run to run (FFTW
    # plans are measured afresh), so each run draws other noise: 4 SE keeps false failures rare.
    tolerance = max(2.0, 4.0 * sweep["k_obj_se_nm_per_um"])
    assert sweep["k_obj_nm_per_um"] == pytest.approx(truth["lens_slope_nm_per_um"], abs=tolerance)
    angle_error = abs(sweep["angle_deg"] - truth["lens_slope_angle_deg"]) % 180.0
    assert min(angle_error, 180.0 - angle_error) < max(5.0, 4.0 * sweep["angle_se_deg"])

    history = client.get("/api/v1/scopes/sim/lens-history", headers=control)
    assert history.status_code == 200 and len(history.json()["days"]) >= 1
    compensation = client.get(
        "/api/v1/scopes/sim/compensation", params={"defocus_nm": 2500.0}, headers=control
    )
    assert compensation.status_code == 200, compensation.text
    metrics = client.get("/metrics").text
    assert 'astigd_jobs_total{procedure="correct",scope="sim",state="succeeded"} 1.0' in metrics
    assert 'astigd_residual_astig_nm{scope="sim"}' in metrics
