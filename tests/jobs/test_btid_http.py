"""BTID through the HTTP job API: calibrate_btid, then correct with `method: btid`.

The operator selects the magnification on the in-process simulator; the defocus and both jobs go
through /api/v1. The outcome is scored against the simulator's truth, and every BTID estimate of
the correction must be a measurement of the job.
"""

import numpy as np
import pytest
import yaml

from astigd.app.main import create_app
from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.truth import truth_report
from tests.acceptance.conftest import inventory_yaml
from tests.api.conftest import make_settings
from tests.jobs.conftest import events, submit, wait_final

SEED, MAG_INDEX, DEFOCUS_NM = 1, 7, 1000.0
BTID_SIMULATOR = {"time_scale": 0.0, "frame_px": 512, "seed": SEED, "specimen_area": "fixed"}


@pytest.fixture
def app(db_url, tmp_path, clean_env, jobs_settings):
    """The service on the seeded simulator, its pixel sizes and anisotropy declared."""
    world = SimulatedMicroscope(SimulatorConfig(seed=SEED))
    (tmp_path / "scopes.yaml").write_text(yaml.safe_dump(inventory_yaml(world, True)))
    settings = make_settings(db_url, tmp_path, simulator=BTID_SIMULATOR, jobs=jobs_settings,
                             scopes_file=str(tmp_path / "scopes.yaml"))  # fmt: skip
    return create_app(settings)


def set_true_astig(microscope: SimulatedMicroscope, target_nm) -> None:
    """Shift the lens's own astigmatism so that the true astigmatism is the target vector."""
    now = np.asarray(truth_report(microscope)["astig_vec_nm"])
    microscope.state.steps_nm = microscope.state.steps_nm + (np.asarray(target_nm) - now)


def run(client, control, procedure: str, params: dict) -> dict:
    response = submit(client, control, procedure, params)
    assert response.status_code == 201, response.text
    job = wait_final(client, control, response.json()["id"], timeout_s=240.0)
    assert job["state"] == "succeeded", job["error"]
    return job


def test_btid_correction_through_the_api_reaches_20_nm_from_300_nm(app, client, control):
    microscope = app.state.scopes["sim"].simulator
    microscope.set_mag_index(MAG_INDEX)  # the operator selects the magnification
    focus = {"defocus_nm": DEFOCUS_NM, "compensate": False}
    assert client.post("/api/v1/scopes/sim/defocus", json=focus, headers=control).status_code == 200
    set_true_astig(microscope, (0.0, 0.0))
    calibration = run(client, control, "calibrate_btid", {})["result"]

    start = 300.0 * np.array([np.cos(np.radians(97.0)), np.sin(np.radians(97.0))])
    set_true_astig(microscope, start)
    assert truth_report(microscope)["astig_nm"] == pytest.approx(300.0)
    params = {"method": "btid", "tolerance_nm": 20.0, "confidence_sigmas": 1.0}
    job = run(client, control, "correct", params)
    truth = truth_report(microscope)
    print(job["result"]["moves"], truth["astig_nm"], job["result"]["final"]["astig_nm"])
    assert job["result"]["method"] == "btid"
    assert job["result"]["moves"] <= 3
    assert truth["astig_nm"] <= 20.0

    estimates = [e["payload"] for e in events(client, control, job["id"]) if e["kind"] == "fit"]
    page = client.get("/api/v1/measurements", params={"job_id": job["id"]}, headers=control)
    assert page.status_code == 200, page.text
    rows = sorted(page.json()["items"], key=lambda row: row["id"])
    assert len(estimates) >= 2 and [[row["id"]] for row in rows] == [
        e["measurement_ids"] for e in estimates
    ]
    for row in rows:
        assert row["estimator"] == "astigd-btid" and row["job_id"] == job["id"]
        assert row["optics"]["btid_calibration_id"] == calibration["calibration_id"]
