"""POST /plans/check: the paper's recommendations as concrete findings, and coverage."""

from __future__ import annotations

from datetime import timedelta

from astigd.app.db.base import utc_now
from tests.history.conftest import add_response, add_sweep

URL = "/api/v1/plans/check"
PLAN = {"magnification": 105000, "defocus_range_nm": [800, 2200]}


def codes(body: dict, severity: str) -> set[str]:
    return {f["code"] for f in body["findings"] if f["severity"] == severity}


def test_a_plan_gets_the_general_recommendations(client, reader):
    body = client.post(URL, json=PLAN, headers=reader).json()
    assert body["median_defocus_nm"] == 1500 and body["ok"]
    assert codes(body, "info") == {
        "correct_at_collection_magnification",
        "correct_at_median_defocus",
        "focus_at_exposure_magnification",
    }
    median = next(f for f in body["findings"] if f["code"] == "correct_at_median_defocus")
    assert "1500 nm" in median["message"] and "105000×" in body["findings"][0]["message"]


def test_a_different_focus_magnification_is_a_warning(client, reader):
    body = client.post(URL, json={**PLAN, "focus_magnification": 29000}, headers=reader).json()
    assert codes(body, "warning") == {"focus_magnification_differs"} and not body["ok"]


def test_a_plan_without_calibrations_is_not_covered(client, reader):
    body = client.post(URL, json={**PLAN, "scope_id": "sim", "mag_index": 5}, headers=reader)
    assert codes(body.json(), "warning") == {"stigmator_missing", "lens_sweep_missing"}


def test_todays_calibrations_cover_the_plan(client, app, reader):
    response_id = add_response(app, utc_now())
    sweep_id = add_sweep(app, utc_now(), 10.0, 30.0)
    body = client.post(URL, json={**PLAN, "scope_id": "sim", "mag_index": 5}, headers=reader)
    body = body.json()
    assert body["ok"], body["findings"]
    assert body["calibrations"]["stigmator_response"]["id"] == response_id
    assert body["calibrations"]["lens_sweep"]["id"] == sweep_id


def test_stale_other_magnification_and_short_sweeps_are_warned(client, app, reader):
    add_response(app, utc_now(), mag_index=9)
    add_sweep(app, utc_now() - timedelta(hours=30), 10.0, 30.0)
    plan = {**PLAN, "scope_id": "sim", "mag_index": 5, "defocus_range_nm": [300, 4000]}
    body = client.post(URL, json=plan, headers=reader).json()
    assert codes(body, "warning") == {"stigmator_other_magnification", "lens_sweep_stale"}
    add_sweep(app, utc_now(), 30.0, 30.0)
    body = client.post(URL, json=plan, headers=reader).json()
    assert {"lens_sweep_range", "defocus_range_exceeds_tolerance"} <= codes(body, "warning")


def test_an_unknown_magnification_is_reported_and_a_reversed_range_reordered(client, reader):
    body = client.post(URL, json={**PLAN, "scope_id": "sim"}, headers=reader).json()
    assert "magnification_unknown" in codes(body, "warning")
    reversed_range = {**PLAN, "defocus_range_nm": [2200, 800]}
    assert client.post(URL, json=reversed_range, headers=reader).json()["median_defocus_nm"] == 1500
    assert client.post(URL, json={**PLAN, "scope_id": "nope"}, headers=reader).status_code == 404
