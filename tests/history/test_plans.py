"""POST /plans/check: the paper's recommendations as concrete findings, and coverage."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from astigd.app.db.base import utc_now
from astigd.app.main import create_app
from tests.api.conftest import make_settings
from tests.history.conftest import add_response, add_sweep

URL = "/api/v1/plans/check"
PLAN = {"magnification": 105000, "defocus_range_nm": [800, 2200]}
AT_INDEX_5 = {**PLAN, "mag_index": 5}


def codes(body: dict, severity: str) -> set[str]:
    return {f["code"] for f in body["findings"] if f["severity"] == severity}


def test_a_plan_gets_the_general_recommendations(client, app, reader):
    add_response(app, utc_now())
    add_sweep(app, utc_now(), 10.0, 30.0)
    body = client.post(URL, json=AT_INDEX_5, headers=reader).json()
    assert body["median_defocus_nm"] == 1500 and body["ok"], body["findings"]
    assert codes(body, "info") == {
        "correct_at_collection_magnification",
        "correct_at_median_defocus",
        "focus_at_exposure_magnification",
    }
    median = next(f for f in body["findings"] if f["code"] == "correct_at_median_defocus")
    assert "1500 nm" in median["message"] and "105000×" in body["findings"][0]["message"]


def test_a_different_focus_magnification_is_a_warning(client, app, reader):
    add_response(app, utc_now())
    add_sweep(app, utc_now(), 10.0, 30.0)
    plan = {**AT_INDEX_5, "focus_magnification": 29000}
    body = client.post(URL, json=plan, headers=reader).json()
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


def test_without_scope_id_the_only_configured_scope_is_checked(client, app, reader):
    body = client.post(URL, json=AT_INDEX_5, headers=reader).json()
    assert body["scope_id"] == "sim" and not body["ok"]
    assert codes(body, "warning") == {"stigmator_missing", "lens_sweep_missing"}
    response_id = add_response(app, utc_now())
    add_sweep(app, utc_now(), 10.0, 30.0)
    body = client.post(URL, json=AT_INDEX_5, headers=reader).json()
    assert body["ok"] and body["calibrations"]["stigmator_response"]["id"] == response_id


def test_with_several_scopes_a_plan_must_name_one(db_url, tmp_path, clean_env, keys):
    path = tmp_path / "scopes.yaml"
    path.write_text("scopes: [{id: sim, driver: simulator}, {id: arm1, driver: jeol}]")
    settings = make_settings(db_url, tmp_path, scopes_file=path)
    headers = {"X-API-Key": keys["read"]}
    with TestClient(create_app(settings)) as client:
        refused = client.post(URL, json=AT_INDEX_5, headers=headers)
        assert refused.status_code == 422, refused.text
        assert "give scope_id" in refused.json()["detail"] and "sim, arm1" in refused.text
        named = client.post(URL, json={**AT_INDEX_5, "scope_id": "arm1"}, headers=headers)
    assert named.status_code == 200 and named.json()["scope_id"] == "arm1"
    assert "stigmator_missing" in codes(named.json(), "warning")


def test_coverage_is_looked_up_in_the_plans_probe_mode(client, app, reader):
    add_response(app, utc_now(), illumination="probe:nanoprobe")
    add_sweep(app, utc_now(), 10.0, 30.0, illumination="probe:nanoprobe")
    micro = client.post(URL, json={**AT_INDEX_5, "probe_mode": "microprobe"}, headers=reader)
    assert codes(micro.json(), "warning") == {"stigmator_missing", "lens_sweep_missing"}
    assert "probe:microprobe" in micro.text
    nano = client.post(URL, json={**AT_INDEX_5, "probe_mode": "nanoprobe"}, headers=reader)
    assert nano.json()["ok"], nano.json()["findings"]


def test_calibrations_in_several_illuminations_need_the_plans_one(client, app, reader):
    add_response(app, utc_now(), illumination="probe:nanoprobe")
    add_response(app, utc_now(), illumination="probe:microprobe")
    add_sweep(app, utc_now(), 10.0, 30.0, illumination="probe:microprobe")
    body = client.post(URL, json=AT_INDEX_5, headers=reader).json()
    assert codes(body, "warning") == {"illumination_ambiguous"}
    named = client.post(URL, json={**AT_INDEX_5, "probe_mode": "microprobe"}, headers=reader)
    assert named.json()["ok"], named.json()["findings"]
    alpha = client.post(URL, json={**AT_INDEX_5, "alpha": 3}, headers=reader).json()
    assert "illumination_ambiguous" in codes(alpha, "warning")  # alpha is JEOL's, not this scope's
