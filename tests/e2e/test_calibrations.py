"""The Calibrations view in Chromium: gold calibration history, the ring-fit picture and BTID.

The gold calibration runs as a real job through /api/v1 on an in-process simulated scope showing
its gold grid at 105 kx (selected on the simulator, as an operator would), against the same
database the served dashboard reads; the page then plots what the API serves.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from astigd.app.core.config import Settings
from astigd.app.main import create_app
from tests.database import fresh_database
from tests.jobs.conftest import submit, wait_final

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.conftest import screenshot, serving  # noqa: E402
from tests.e2e.pages import expect_success, login, open_view, start_job, wait_for_plot  # noqa: E402

pytestmark = pytest.mark.e2e
GOLD_SIMULATOR = {"time_scale": 0.0, "frame_px": 2048, "seed": 0, "specimen": "gold"}
GOLD_MAG_INDICES = (8, 9, 8)  # 105 kx (0.81 Å/px) and up: Au(111) and Au(200) inside Nyquist
BTID = {"exposure_s": 4, "defocus_nm": 2000}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The served dashboard, over a database holding one gold calibration made via the API."""
    folder = tmp_path_factory.mktemp("e2e-calibrations")
    fixed_area = {"ASTIGD_SIMULATOR__SPECIMEN_AREA": "fixed"}  # BTID compares frames of one area
    with (
        fresh_database(folder, "e2e_cal") as database_url,
        serving(folder, database_url, fixed_area) as served,
    ):
        calibrate_gold(folder / "gold", database_url, served.key)
        yield served


def calibrate_gold(data_dir, database_url: str, key: str) -> None:
    """Run calibrate_magnification at each magnification on a gold-specimen simulated scope."""
    settings = Settings(
        data_dir=data_dir,
        database={"url": database_url},
        pool={"kind": "thread", "workers": 2, "warm_up": False},
        simulator=GOLD_SIMULATOR,
        jobs={"schedule_poll_s": 3600.0},
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        for mag_index in GOLD_MAG_INDICES:
            app.state.scopes["sim"].simulator.set_mag_index(mag_index)  # as an operator would
            response = submit(client, headers, "calibrate_magnification", {"frames": 4})
            assert response.status_code == 201, response.text
            job = wait_final(client, headers, response.json()["id"], timeout_s=240.0)
            assert job["state"] == "succeeded", job["error"]


def test_the_calibrations_view_plots_the_history_and_the_ring_fit(page, service, console):
    login(page, service.url, service.key)
    start_job(page, "calibrate_btid", BTID)
    expect_success(page)
    open_view(page, "calibrations")
    history = service.api("GET", "/scopes/sim/calibrations/magnification").json()
    pixels, anisos = history["pixel_size"][::-1], history["aniso_mag"][::-1]  # oldest first
    at_8 = [row for row in pixels if row["mag_index"] == 8]
    mean_8 = (at_8[0]["pixel_size_A"] + at_8[1]["pixel_size_A"]) / 2
    drawn = wait_for_plot(page, "plot-pixel-size")["data"]
    assert [trace["name"] for trace in drawn] == [
        f"mag index 8 (mean {mean_8:.4f} Å)",
        f"mag index 9 (mean {pixels[1]['pixel_size_A']:.4f} Å)",
    ]
    deviations = [pytest.approx(100 * (row["pixel_size_A"] / mean_8 - 1)) for row in at_8]
    assert drawn[0]["y"] == deviations and len(at_8) == 2
    anisotropy = wait_for_plot(page, "plot-anisotropy")["data"][1]["y"]
    aniso_9 = next(row for row in anisos if row["mag_index"] == 9)
    assert anisotropy == [
        pytest.approx(100 * (aniso_9["scale_major"] / aniso_9["scale_minor"] - 1))
    ]
    angles = wait_for_plot(page, "plot-aniso-angle")["data"][0]
    assert angles["y"] == [row["angle_deg"] for row in anisos if row["mag_index"] == 8]
    angle_errors = [row["angle_uncertainty_deg"] for row in anisos if row["mag_index"] == 8]
    assert angles["error_y"] == angle_errors and all(e > 0 for e in angle_errors)

    rings = page.locator("#cal-rings")
    expect(rings).to_have_attribute("data-calibration-id", str(anisos[-1]["id"]))  # the newest
    page.wait_for_function("document.getElementById('cal-rings').naturalWidth > 300")

    btid = service.api("GET", "/scopes/sim/calibrations/btid").json()["items"]
    assert len(btid) == 1
    row = page.locator("#cal-btid table tr").nth(1)
    expect(row).to_contain_text(btid[0]["reference_method"])
    expect(row).to_contain_text(f"{btid[0]['residual_rms_px']:.2f} px")
    expect(page.locator("#cal-stigmator")).to_contain_text("No stigmator calibration yet")
    page.select_option("#cal-rings-pick", str(aniso_9["id"]))
    expect(rings).to_have_attribute("data-calibration-id", str(aniso_9["id"]))
    screenshot(page, "calibrations")
    assert console.errors == []


def test_a_pixel_size_check_shows_its_implied_error_in_the_live_view(page, service, console):
    login(page, service.url, service.key)
    job_id = start_job(page, "check_pixel_size", {"exposure_s": 10})
    expect_success(page)
    result = service.api("GET", f"/jobs/{job_id}").json()["result"]
    line = page.locator("#job-result")
    expect(line).to_contain_text(
        f"Implied pixel-size error {result['pixel_size_error_percent']:.2f} ±"
    )
    expect(line).to_contain_text("FLAGGED" if result["flagged"] else "within the limit")
    screenshot(page, "live-job-check_pixel_size")
    (check,) = service.api("GET", "/scopes/sim/calibrations/pixel-size-checks").json()["items"]
    assert check["job_id"] == job_id and check["id"] == result["pixel_size_check_id"]
    open_view(page, "calibrations")
    drawn = wait_for_plot(page, "plot-pixel-check")
    assert drawn["data"][0]["y"] == [pytest.approx(check["pixel_size_error_percent"])]
    assert drawn["layout"]["shapes"][0]["y1"] == check["flag_percent"] == 0.5
    assert console.errors == []


def test_a_gold_calibration_shows_its_result_in_the_live_view(page, service, console):
    login(page, service.url, service.key)
    newest = service.api("GET", "/scopes/sim/calibrations/magnification").json()["aniso_mag"][0]
    result = service.api("GET", f"/jobs/{newest['job_id']}").json()["result"]
    open_view(page, "livejob")
    page.select_option("#job-select", newest["job_id"])
    page.click("#job-pick button[type=submit]")
    line = page.locator("#job-result")
    expect(line).to_contain_text(f"Pixel size {result['pixel_size_A']:.4f} ±")
    expect(line).to_contain_text(f"anisotropy {100 * result['anisotropy']:.2f} ±")
    assert console.errors == []
