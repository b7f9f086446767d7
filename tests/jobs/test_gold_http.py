"""Gold calibration through the HTTP API: the job, the history JSON and the ring-fit PNG.

The simulated scope shows its gold grid at 105 kx (selected on the in-process simulator, as an
operator would); everything else goes through /api/v1, and the result is scored against the
simulator's truth.
"""

import numpy as np
import pytest
import yaml

from astigd.app.main import create_app
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.drivers.simulator.truth import truth_report
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics
from tests.api.conftest import make_settings
from tests.jobs.conftest import submit, wait_final

GOLD_SIMULATOR = {"time_scale": 0.0, "frame_px": 2048, "seed": 0, "specimen": "gold"}


@pytest.fixture
def app(db_url, tmp_path, clean_env, jobs_settings):
    """The service with the simulated scope; the inventory lists 105 kx at its nominal size."""
    rows = [{"mag_index": 8, "magnification": 105000.0, "pixel_size_A": 85000.0 / 105000.0}]
    scopes = {"scopes": [{"id": "sim", "driver": "simulator", "optics": {"magnifications": rows}}]}
    (tmp_path / "scopes.yaml").write_text(yaml.safe_dump(scopes))
    settings = make_settings(
        db_url,
        tmp_path,
        simulator=GOLD_SIMULATOR,
        jobs=jobs_settings,
        scopes_file=str(tmp_path / "scopes.yaml"),
    )
    return create_app(settings)


def upload_fit(client, headers, truth) -> dict:
    """Upload a carbon frame taken at 105 kx with the true optics; return its measurement."""
    aniso = AnisoMag(**{k: truth["aniso"][k] for k in ("scale_major", "scale_minor", "angle_deg")})
    exposure = Exposure(Optics(truth["pixel_size_A"]), 1500.0, 20.0, 30.0, 40.0, aniso)
    frame = synthesize_frame(exposure, (1024, 1024), "carbon", 3).astype(np.uint16)
    response = client.post(
        "/api/v1/fit",
        params={"scope_id": "sim", "mag_index": 8},
        content=frame.tobytes(),
        headers={**headers, "Content-Type": "application/octet-stream", "X-Dtype": "uint16",
                 "X-Shape": "1024,1024"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    page = client.get("/api/v1/measurements", params={"scope_id": "sim"}, headers=headers)
    return next(m for m in page.json()["items"] if m["id"] == response.json()["measurement_id"])


def test_gold_calibration_through_the_api(app, client, control):
    app.state.scopes["sim"].simulator.set_mag_index(8)  # the operator selects 105 kx
    response = submit(client, control, "calibrate_magnification", {"frames": 4})
    assert response.status_code == 201, response.text
    job = wait_final(client, control, response.json()["id"], timeout_s=240.0)
    assert job["state"] == "succeeded", job["error"]
    result, truth = job["result"], truth_report(app.state.scopes["sim"].simulator)
    assert result["pixel_size_A"] == pytest.approx(truth["pixel_size_A"], rel=1e-3)
    assert result["anisotropy"] == pytest.approx(truth["aniso"]["anisotropy"], abs=1e-3)

    history = client.get("/api/v1/scopes/sim/calibrations/magnification", headers=control)
    assert history.status_code == 200, history.text
    aniso = history.json()["aniso_mag"][0]
    assert aniso["id"] == result["aniso_mag_calibration_id"]
    assert aniso["job_id"] == job["id"]
    assert aniso["angle_uncertainty_deg"] == pytest.approx(result["angle_uncertainty_deg"])
    assert history.json()["pixel_size"][0]["pixel_size_A"] == pytest.approx(result["pixel_size_A"])

    picture = client.get(
        f"/api/v1/scopes/sim/calibrations/magnification/{aniso['id']}/rings.png", headers=control
    )
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")
    missing = client.get(
        "/api/v1/scopes/sim/calibrations/magnification/999999/rings.png", headers=control
    )
    assert missing.status_code == 404

    measurement = upload_fit(client, control, truth)
    assert measurement["optics"]["aniso_mag_calibration_id"] == aniso["id"]
    assert measurement["optics"]["pixel_size_A"] == pytest.approx(result["pixel_size_A"])
    assert measurement["optics"]["aniso"]["scale_major"] == pytest.approx(result["scale_major"])
