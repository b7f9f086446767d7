"""Lens history over several days in Chromium: error bars, angle, polar K, date range, alerts.

The database holds six past daily lens sweeps: what the simulated lens (default statistics) was
on each of those days. Today the served lens is contaminated (its slope is 80 nm/µm instead of
10–40), so the daily acceptance run from the page finds k_obj far off its trailing history and
raises an alert the honest way, through the procedure's comparison with history.
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

from playwright.sync_api import expect  # noqa: E402

from tests.database import fresh_database  # noqa: E402
from tests.e2e.conftest import screenshot, serving  # noqa: E402
from tests.e2e.history_seed import seed_past  # noqa: E402
from tests.e2e.pages import (  # noqa: E402
    expect_success,
    login,
    open_view,
    plot,
    start_job,
    wait_for_plot,
)

pytestmark = pytest.mark.e2e
PAST_DAYS = 6
CONTAMINATED = {"ASTIGD_SIMULATOR__LENS__SLOPE_NM_PER_UM": "[80, 80]"}
SHOTS = {"exposure_s": 4}
ACCEPTANCE = {**SHOTS, "defocus_min_nm": 1000, "defocus_max_nm": 3000, "defocus_step_nm": 500,
              "frames_per_step": 2, "correction_exposure_s": 4}  # fmt: skip
STALE = re.compile(r"\bstale\b")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The served scope with past days in its database, and a read-only key for it."""
    folder = tmp_path_factory.mktemp("e2e-history")
    with (
        fresh_database(folder, "e2e_history") as database_url,
        serving(folder, database_url, CONTAMINATED) as served,
    ):
        state = served.api("GET", "/scopes/sim/state").json()
        viewer_key = seed_past(database_url, state, PAST_DAYS)
        yield served, viewer_key, state["mag_index"]


def test_an_acceptance_off_its_history_raises_an_alert_the_views_mark(page, seeded, console):
    service, _, mag_index = seeded
    login(page, service.url, service.key)
    check_ages_before(page, mag_index)
    start_job(page, "calibrate_stigmators", {**SHOTS, "defocus_nm": 2000})
    expect_success(page)
    start_job(page, "acceptance", ACCEPTANCE)
    expect_success(page)
    alerts = service.api("GET", "/alerts", params={"scope_id": "sim"}).json()
    outlier = next(alert for alert in alerts if alert["payload"]["alert"] == "k_obj_outlier")
    check_overview_after(page, alerts, mag_index)
    days = service.api("GET", "/scopes/sim/lens-history").json()["days"]
    assert len(days) == PAST_DAYS + 1 and days[-1]["sweep_id"] == outlier["payload"]["sweep_id"]
    check_history(page, days, alerts)
    screenshot(page, "lens-history")
    check_date_range(page, days)
    assert console.errors == []


def ages_row(page, name: str):
    return page.locator("#overview-scopes .card[data-scope=sim] table.ages tr", has_text=name)


def check_ages_before(page, mag_index: int):
    """Yesterday's lens sweep and the 3-day-old gold and BTID calibrations are stale."""
    expect(ages_row(page, f"lens sweep, mag {mag_index}")).to_have_class(STALE)
    for name in ("pixel size (gold)", "anisotropic magnification (gold)", "BTID"):
        row = ages_row(page, f"{name}, mag {mag_index + 2}")
        expect(row).to_have_class(STALE)
        expect(row).to_contain_text(re.compile(r"7[23]\.\d h old \(stale\)"))
    expect(page.locator("#overview-alerts")).to_contain_text("No alerts")


def check_overview_after(page, alerts: list[dict], mag_index: int):
    """Today's calibrations are fresh; the open alerts are listed with the API's words."""
    open_view(page, "overview")
    for name in (f"stigmator response, mag {mag_index}", f"lens sweep, mag {mag_index}"):
        expect(ages_row(page, name)).not_to_have_class(STALE)
        expect(ages_row(page, name)).to_contain_text(re.compile(r"\b\d\.\d h old"))
    listed = page.locator("#overview-alerts tr")
    expect(listed).to_have_count(len(alerts))
    for row, alert in zip(listed.all(), alerts, strict=True):
        expect(row).to_contain_text(alert["payload"]["message"])
    screenshot(page, "overview-alert")


def check_history(page, days: list[dict], alerts: list[dict]):
    """The three plots show every day as the API serves it, with today's alerts marked."""
    open_view(page, "history")
    expect(page.locator("#history-note")).to_have_text(
        f"{len(days)} day(s) with a lens sweep, {len(alerts)} alert(s)."
    )
    today = days[-1]["date"]
    k_obj, k_alerts = wait_for_plot(page, "plot-kobj")["data"]
    assert k_obj["x"] == [day["date"] for day in days]
    assert k_obj["y"] == [day["k_obj_nm_per_um"] for day in days]
    assert k_obj["error_y"] == [day["k_obj_se_nm_per_um"] for day in days]
    assert k_alerts["name"] == "alert" and k_alerts["x"] == [today] * len(alerts)
    assert k_alerts["y"] == [alert["payload"]["k_obj_nm_per_um"] for alert in alerts]
    angle, angle_alerts = plot(page, "plot-angle")["data"]
    assert angle["y"] == [day["angle_deg"] for day in days]
    assert angle["error_y"] == [day["angle_se_deg"] for day in days]
    assert angle_alerts["x"] == [today] * len(alerts)
    polar, polar_alerts = plot(page, "plot-kpolar")["data"]
    assert polar["r"] == [day["k_obj_nm_per_um"] for day in days]
    assert polar["theta"] == [2 * day["angle_deg"] for day in days]
    assert polar_alerts["r"] == [days[-1]["k_obj_nm_per_um"]] * len(alerts)
    assert polar_alerts["theta"] == [2 * days[-1]["angle_deg"]] * len(alerts)


def check_date_range(page, days: list[dict]):
    """A chosen range plots only its days, and no alert raised outside it."""
    chosen = days[1:4]
    page.fill("#history-since", chosen[0]["date"])
    page.fill("#history-until", chosen[-1]["date"])
    page.click("#history-range button[type=submit]")
    expect(page.locator("#history-note")).to_have_text("3 day(s) with a lens sweep, 0 alert(s).")
    k_obj, k_alerts = plot(page, "plot-kobj")["data"]
    assert k_obj["x"] == [day["date"] for day in chosen] and k_alerts["x"] == []
    angle = plot(page, "plot-angle")["data"][0]
    assert angle["y"] == [day["angle_deg"] for day in chosen]
    polar = plot(page, "plot-kpolar")["data"][0]
    assert polar["r"] == [day["k_obj_nm_per_um"] for day in chosen]


def test_a_read_only_key_sees_why_it_cannot_start_or_cancel_jobs(page, seeded, console):
    service, viewer_key, _ = seeded
    login(page, service.url, viewer_key)
    open_view(page, "actions")
    expect(page.locator("#action-access")).to_have_text(
        "This key (“viewer”, scopes: read) cannot control the scopes: starting or cancelling "
        "jobs needs the control scope. Plans can still be checked."
    )
    for form in ("correct", "acceptance", "cancel"):
        expect(page.locator(f"#form-{form} button[type=submit]")).to_be_disabled()
    expect(page.locator("#form-correct-exposure_s")).to_be_disabled()
    expect(page.locator("#form-plan button[type=submit]")).to_be_enabled()
    page.fill("#form-plan-magnification", "81000")
    page.click("#form-plan button[type=submit]")
    expect(page.locator("#plan-findings li").first).to_be_visible()
    screenshot(page, "actions-read-only")
    open_view(page, "livejob")
    expect(page.locator("#job-cancel")).to_be_disabled()
    assert console.errors == []
