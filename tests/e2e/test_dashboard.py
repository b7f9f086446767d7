"""The dashboard in Chromium against `astigd serve` with the simulated scope.

One flow drives the page as staff would: calibrate and correct from the forms, sweep defocus
and magnification, then check that every view plots what the API serves. Screenshots of each
view are saved as test artifacts.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.conftest import screenshot  # noqa: E402
from tests.e2e.pages import (  # noqa: E402
    expect_success,
    fill_form,
    login,
    open_view,
    plot,
    radius,
    start_job,
    wait_final,
    wait_for_plot,
)

pytestmark = pytest.mark.e2e
SHOTS = {"exposure_s": 4}
DEFOCUS_SWEEP = {**SHOTS, "defocus_start_nm": 1000, "defocus_stop_nm": 3000,
                 "defocus_step_nm": 500, "frames_per_step": 2}  # fmt: skip
MAG_SWEEP = {**SHOTS, "mag_indices": "7, 6, 5", "defocus_nm": 2000, "frames_per_mag": 2,
             "correct_first": False}  # fmt: skip


def test_a_bad_key_is_refused_and_not_kept(page, service):
    login(page, service.url, "astigd_00000000_not-a-key-at-all")
    expect(page.locator("#login-error")).to_contain_text("the API key is unknown or revoked")
    expect(page.locator("#tabs")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    screenshot(page, "login-refused")


def test_the_views_plot_what_the_api_serves(page, service, console):
    login(page, service.url, service.key)
    expect(page.locator("#view-overview")).to_be_visible()
    calibrate_and_correct(page)
    sweep(page, "defocus_sweep", DEFOCUS_SWEEP, "step 5 of 5")
    sweep(page, "mag_sweep", MAG_SWEEP, "magnification 3 of 3")
    check_overview(page, service)
    check_history(page, service)
    check_sweeps(page, service)
    check_live_fit(page, service)
    assert console.errors == []


def calibrate_and_correct(page):
    """Calibrate from the form, then correct: the trajectory ends inside the tolerance circle."""
    start_job(page, "calibrate_stigmators", {**SHOTS, "defocus_nm": 2000})
    expect_success(page)
    expect(page.locator("#job-progress span")).to_have_text("2 of 2 stigmators probed")
    start_job(page, "correct", {**SHOTS, "defocus_nm": 2000, "target_resolution_A": 3})
    expect_success(page)
    trajectory = page.locator("#job-trajectory")
    expect(trajectory).to_have_attribute("data-done", "true")
    drawn = plot(page, "job-trajectory")
    path, tolerance = drawn["data"][0], drawn["layout"]["shapes"][0]
    tolerance_nm = tolerance["x1"]
    assert tolerance["x0"] == -tolerance_nm and 20.0 < tolerance_nm < 25.0  # d²/(2λ), 3 Å, 300 kV
    assert len(path["x"]) >= 2 and radius(path["x"][0], path["y"][0]) > tolerance_nm
    assert radius(path["x"][-1], path["y"][-1]) < tolerance_nm
    expect(page.locator("#job-trajectory .gtitle")).to_contain_text("Final residual")
    screenshot(page, "live-job-correction")


def sweep(page, procedure: str, values: dict, progress: str):
    """Run a sweep from its form; its bar fills and its points appear as it runs."""
    start_job(page, procedure, values)
    expect_success(page)
    expect(page.locator("#job-progress span")).to_have_text(progress)
    points = wait_for_plot(page, "job-points")["data"][0]
    assert len(points["x"]) == int(progress.split()[-1])
    screenshot(page, f"live-job-{procedure}")


def check_overview(page, service):
    open_view(page, "overview")
    card = page.locator("#overview-scopes .card[data-scope=sim]")
    state = service.api("GET", "/scopes/sim/state").json()
    expect(card.locator("table.state")).to_contain_text(f"index {state['mag_index']}")
    latest = service.api("GET", "/measurements", params={"scope_id": "sim", "limit": 1}).json()
    expect(card.locator(".current-astig")).to_contain_text(f"{latest['items'][0]['astig_nm']:.1f}")
    expect(card.locator("table.ages")).to_contain_text("stigmator response, mag 7")
    expect(card.locator("table.ages")).to_contain_text("lens sweep")
    fifty = service.api("GET", "/measurements", params={"scope_id": "sim", "limit": 50}).json()
    recent = wait_for_plot(page, "overview-polar-sim")["data"][0]
    assert recent["r"] == [m["astig_nm"] for m in fifty["items"] if m["astig_nm"] is not None]
    expect(page.locator("#overview-alerts")).to_contain_text("No alerts")
    screenshot(page, "overview")


def check_history(page, service):
    open_view(page, "history")
    days = service.api("GET", "/scopes/sim/lens-history").json()["days"]
    k_obj = wait_for_plot(page, "plot-kobj")["data"][0]
    assert k_obj["y"] == [day["k_obj_nm_per_um"] for day in days]
    polar = wait_for_plot(page, "plot-kpolar")["data"][0]
    assert polar["theta"] == [2 * day["angle_deg"] for day in days]
    wait_for_plot(page, "plot-angle")
    screenshot(page, "lens-history-one-day")  # several days: test_history.py


def check_sweeps(page, service):
    open_view(page, "sweeps")
    sweep = service.api("GET", "/scopes/sim/lens-sweeps/latest").json()["sweep"]
    drawn = wait_for_plot(page, "plot-sweep-astig")["data"]
    steps = next(trace for trace in drawn if trace["name"] == "step mean ± RMSD")
    assert steps["y"] == [step["astig_nm"] for step in sweep["steps"]]
    polar = wait_for_plot(page, "plot-sweep-polar")["data"][0]
    assert polar["r"] == [point["astig_nm"] for point in sweep["points"]] and len(polar["r"]) == 10
    profile = service.api("GET", "/scopes/sim/magnification-profiles").json()["items"][0]
    by_mag = wait_for_plot(page, "plot-magprofile")["data"]
    assert by_mag[0]["y"] == [point["astig_nm"] for point in profile["points"]]
    assert by_mag[1]["name"] == "fitted defocus"
    stored_um = [pytest.approx(p["fitted_defocus_nm"] / 1000) for p in profile["points"]]
    assert by_mag[1]["y"] == stored_um
    screenshot(page, "latest-sweeps")


def check_live_fit(page, service):
    open_view(page, "livefit")
    kept = service.api("GET", "/scopes/sim/spectrum").json()["measurement_id"]
    image = page.locator("#fit-spectrum")
    expect(image).to_have_attribute("data-measurement-id", str(kept))
    page.wait_for_function("document.getElementById('fit-spectrum').naturalWidth > 400")
    expect(page.locator("#fit-numbers")).to_contain_text(str(kept))
    uploaded = upload_frame(service)  # a new frame is fitted: the view follows by itself
    expect(image).to_have_attribute("data-measurement-id", str(uploaded["measurement_id"]))
    expect(page.locator("#fit-numbers")).to_contain_text(f"{uploaded['astig_nm']:.1f} ±")
    screenshot(page, "live-fit")


def upload_frame(service) -> dict:
    """Fit a simulated frame with known astigmatism through POST /fit for the scope."""
    exposure = Exposure(Optics(1.0), defocus_mean_nm=1800.0, astig_nm=60.0, angle_deg=20.0)
    frame = np.rint(synthesize_frame(exposure, (1024, 1024), rng=11)).astype(np.uint16)
    headers = {
        "Content-Type": "application/octet-stream",
        "X-Dtype": "uint16",
        "X-Shape": "1024,1024",
    }
    params = {"scope_id": "sim", "pixel_size_A": 1.0}
    answer = service.api("POST", "/fit", params=params, content=frame.tobytes(), headers=headers)
    assert answer.status_code == 200, answer.text
    fit = answer.json()
    assert fit["astig_nm"] == pytest.approx(60.0, abs=10.0)
    return fit


def test_forms_are_checked_and_api_refusals_shown_in_its_words(page, service, console):
    login(page, service.url, service.key)
    open_view(page, "actions")
    before = service.api("GET", "/jobs").json()["items"]
    fill_form(page, "correct", {"target_resolution_A": 0.5})  # below the form's minimum
    assert page.evaluate("document.getElementById('form-correct').checkValidity()") is False
    fill_form(page, "check_pixel_size", {"defoci_nm": "50, 600"})  # outside the defocus window
    expect(page.locator("#action-error")).to_have_text(
        "Each defocus of the series must lie within 100–10000 nm."
    )
    fill_form(page, "mag_sweep", {**MAG_SWEEP, "mag_indices": "5, 5"})  # the API refuses it
    expect(page.locator("#action-error")).to_contain_text(
        "mag_indices must be distinct, non-negative magnification indices"
    )
    assert service.api("GET", "/jobs").json()["items"] == before
    fill_form(page, "plan", {"magnification": 81000, "defocus_low_nm": 800,
                             "defocus_high_nm": 2500})  # fmt: skip
    expect(page.locator("#plan-findings li").first).to_be_visible()
    screenshot(page, "actions")
    refused = [e for e in console.errors if "status of 422" not in e]
    assert refused == []  # only the refusal the test provoked


def test_a_running_job_is_cancelled_from_the_live_view(page, service, console):
    login(page, service.url, service.key)
    long_sweep = {**DEFOCUS_SWEEP, "defocus_step_nm": 50}  # 41 steps of 2 frames
    job_id = start_job(page, "defocus_sweep", long_sweep)
    expect(page.locator("#job-progress")).to_be_visible()
    open_view(page, "overview")  # the running job is listed with its progress
    running = page.locator("#overview-jobs tr", has_text=job_id)
    expect(running).to_contain_text("running")
    expect(running).to_contain_text(re.compile(r"step \d+ of 41 \(\d+ %\)"))
    screenshot(page, "overview-running-job")
    open_view(page, "livejob")
    page.click("#job-cancel")
    assert wait_final(page) == "cancelled"
    assert service.api("GET", f"/jobs/{job_id}").json()["state"] == "cancelled"
    assert console.errors == []
