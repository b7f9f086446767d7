"""Dynamic compensation over HTTP: the stigmators for a defocus, the audited move, refusals."""

from __future__ import annotations

import uuid
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobState, Measurement, OpticsAudit, StigmatorCalibration
from astigd.app.main import create_app
from astigd.drivers.records import Illumination
from tests.api.conftest import bearer, make_settings
from tests.live.conftest import MATRIX, SLOPE, save_response, save_sweep

SWEEP_STIG = (0.05, -0.04)
A_REF, DF_REF = np.array([4.0, -2.0]), 1500.0
GET_URL = "/api/v1/scopes/sim/compensation"
POST_URL = "/api/v1/scopes/sim/defocus"


@pytest.fixture
def settings(db_url, tmp_path, clean_env):
    return make_settings(db_url, tmp_path, simulator={"time_scale": 0.0})


@pytest.fixture
def optics(client, reader) -> dict:
    """Where the live simulated scope is: the key its calibrations are stored under."""
    state = client.get("/api/v1/scopes/sim/state", headers=reader).json()
    light = Illumination(state["probe_mode"], state["alpha"])
    return {"mag_index": state["mag_index"], "ht_kv": state["ht_kv"], "light": light}


def sweep_measurement(app) -> int:
    """A measurement of the sweep, with the stigmators it was taken at in its snapshot."""
    with app.state.sessions() as session:
        row = Measurement(source="procedure", scope_id="sim", reliable=True, estimator="t",
                          version="0", optics={"stig": list(SWEEP_STIG)})  # fmt: skip
        session.add(row)
        session.commit()
        return row.id


def calibrate(app, **where) -> None:
    save_response(app, **where)
    save_sweep(app, sweep_measurement(app), **where)


def expected_stig(defocus_nm: float) -> np.ndarray:
    """s = s_sweep − M⁻¹·(A_ref + K·(df − df_ref)), written out independently."""
    astig = A_REF + np.array(SLOPE) * (defocus_nm - DF_REF) / 1000.0
    return np.array(SWEEP_STIG) - np.linalg.inv(np.array(MATRIX)) @ astig


def test_compensation_predicts_stigmators_from_k_and_the_response(client, app, reader, optics):
    calibrate(app, **optics)
    body = client.get(GET_URL, params={"defocus_nm": 3000}, headers=reader).json()
    assert [body["stig_x"], body["stig_y"]] == pytest.approx(expected_stig(3000).tolist())
    assert body["reference"]["sweep_stig"] == pytest.approx(SWEEP_STIG)
    assert body["uncompensated_astig_nm"] == pytest.approx(10.0 * 1.5)
    kinds = [c["kind"] for c in body["calibrations"]]
    assert kinds == ["stigmator_response", "lens_sweep"]
    assert all(0 <= c["age_h"] < 0.1 for c in body["calibrations"])
    assert body["optics"]["mag_index"] == optics["mag_index"]


def test_defocus_move_sets_focus_and_compensated_stigmators_audited(
    client, app, keys, reader, optics
):
    calibrate(app, **optics)
    moved = client.post(POST_URL, json={"defocus_nm": 2500}, headers=bearer(keys["control"]))
    assert moved.status_code == 200, moved.text
    state = client.get("/api/v1/scopes/sim/state", headers=reader).json()
    assert state["defocus_nm"] == pytest.approx(2500, abs=5)
    assert [state["stig_x"], state["stig_y"]] == pytest.approx(expected_stig(2500), abs=2e-3)
    with app.state.sessions() as session:
        audited = {row.what for row in session.query(OpticsAudit).filter_by(scope_id="sim")}
    assert {"defocus_nm", "stigmator"} <= audited


def test_defocus_move_needs_the_control_scope(client, reader):
    assert client.post(POST_URL, json={"defocus_nm": 2500}, headers=reader).status_code == 403


def refusal(client, keys, reader) -> tuple[dict, dict]:
    got = client.get(GET_URL, params={"defocus_nm": 2500}, headers=reader)
    posted = client.post(POST_URL, json={"defocus_nm": 2500}, headers=bearer(keys["control"]))
    assert got.status_code == posted.status_code == 409
    return got.json()["detail"], posted.json()["detail"]


def test_missing_calibrations_are_refused_and_nothing_moves(client, keys, reader):
    before = client.get("/api/v1/scopes/sim/state", headers=reader).json()
    got, posted = refusal(client, keys, reader)
    assert got["code"] == posted["code"] == "missing"
    assert got["reason"].startswith("no stigmator calibration for scope 'sim'")
    after = client.get("/api/v1/scopes/sim/state", headers=reader).json()
    assert after["defocus_nm"] == before["defocus_nm"]


def test_calibrations_at_another_magnification_are_refused(client, app, keys, reader, optics):
    calibrate(app, **{**optics, "mag_index": optics["mag_index"] + 1})
    got, _ = refusal(client, keys, reader)
    assert got["code"] == "other_magnification"
    assert f"magnification index {optics['mag_index'] + 1}" in got["reason"]


def backdate_response(app, hours: float) -> None:
    """Make the stored stigmator calibration `hours` old (append-only: replace the row)."""
    with app.state.sessions() as session:
        newest = session.query(StigmatorCalibration).one()
        old = {c.name: getattr(newest, c.name) for c in StigmatorCalibration.__table__.columns}
        old.update(id=None, created_at=utc_now() - timedelta(hours=hours))
        session.delete(newest)
        session.add(StigmatorCalibration(**old))
        session.commit()


def test_stale_calibrations_are_refused(client, app, keys, reader, optics):
    calibrate(app, **optics)
    backdate_response(app, 30.0)
    got, _ = refusal(client, keys, reader)
    assert got["code"] == "stale" and "30.0 h old (limit 24 h)" in got["reason"]


def test_a_configured_max_age_is_honoured(db_url, tmp_path, clean_env, keys, reader):
    limits = {"simulator": {"time_scale": 0.0}, "calibration": {"max_age_h": 6.0}}
    with TestClient(create_app(make_settings(db_url, tmp_path, **limits))) as client:
        state = client.get("/api/v1/scopes/sim/state", headers=reader).json()
        light = Illumination(state["probe_mode"], state["alpha"])
        calibrate(client.app, mag_index=state["mag_index"], ht_kv=state["ht_kv"], light=light)
        backdate_response(client.app, 5.0)  # within the configured 6 h
        assert client.get(GET_URL, params={"defocus_nm": 2500}, headers=reader).status_code == 200
        backdate_response(client.app, 8.0)  # within the default 24 h, beyond the configured 6 h
        got, posted = refusal(client, keys, reader)
    assert got["code"] == posted["code"] == "stale"
    assert "8.0 h old (limit 6 h)" in got["reason"]


def test_a_busy_scope_is_not_moved(client, app, keys, optics, monkeypatch):
    calibrate(app, **optics)
    job_id = uuid.uuid4()
    monkeypatch.setattr(app.state.jobs, "running_job", lambda scope_id: job_id)
    posted = client.post(POST_URL, json={"defocus_nm": 2500}, headers=bearer(keys["control"]))
    assert posted.status_code == 409
    assert posted.json()["detail"]["code"] == "scope_busy" and str(job_id) in posted.text


def test_a_job_whose_end_is_stored_no_longer_holds_the_scope(
    client, app, keys, optics, monkeypatch
):
    calibrate(app, **optics)
    with app.state.sessions() as session:
        job = Job(scope_id="sim", procedure="correct", params={}, state=JobState.SUCCEEDED.value)
        session.add(job)
        session.commit()
    monkeypatch.setattr(app.state.jobs, "running_job", lambda scope_id: job.id)
    posted = client.post(POST_URL, json={"defocus_nm": 2500}, headers=bearer(keys["control"]))
    assert posted.status_code == 200, posted.text
