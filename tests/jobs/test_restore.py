"""Cancel and failure both put the scope back where the job found it (DESIGN.md §3)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from astigd.app.db.models import OpticsAudit
from astigd.app.main import create_app
from astigd.drivers.simulator.faults import FaultSpec
from astigd.drivers.simulator.truth import truth_report
from tests.api.conftest import make_settings
from tests.jobs.conftest import SIMULATOR, events, scope_state, submit, wait_final

START_STIG = (0.05, -0.03)
CALIBRATE = {"exposure_s": 4.0}


@pytest.fixture
def displaced(client):
    """Put the simulated stigmators off zero and return the app's `sim` handle."""
    handle = client.app.state.scopes["sim"]
    client.portal.call(handle.get().walk_stigmator, *START_STIG)
    return handle


def stig(client, headers) -> tuple[float, float]:
    state = scope_state(client, headers)
    return state["stig_x"], state["stig_y"]


def test_cancel_mid_run_stops_at_a_safe_point_and_restores_the_stigmators(
    client, control, displaced
):
    job = submit(client, control, "calibrate_stigmators", CALIBRATE).json()
    with client.websocket_connect(f"/api/v1/ws/jobs/{job['id']}", headers=dict(control)) as socket:
        while True:
            event = socket.receive_json()
            if event["kind"] == "move" and event["payload"]["what"] == "stigmator":
                break
        assert stig(client, control) != pytest.approx(START_STIG, abs=1e-3)
        client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=dict(control))
    done = wait_final(client, control, job["id"])
    assert done["state"] == "cancelled" and done["error"] == "cancelled by request"
    assert stig(client, control) == pytest.approx(START_STIG, abs=2e-3)
    assert scope_state(client, control)["defocus_nm"] == done["start_snapshot"]["defocus_nm"]
    kinds = [event["kind"] for event in events(client, control, job["id"])]
    assert kinds[-2:] == ["restore", "state"]


def test_a_failing_job_restores_its_start_snapshot_and_says_why(
    client, control, displaced, database_engine
):
    fault = FaultSpec(kind="out_of_range", endpoint="objective_stigmator", method="PUT", after=2)
    displaced.simulator.faults.arm(fault)
    job = submit(client, control, "calibrate_stigmators", CALIBRATE).json()
    done = wait_final(client, control, job["id"])
    displaced.simulator.faults.clear()
    assert done["state"] == "failed" and done["error"]
    assert stig(client, control) == pytest.approx(START_STIG, abs=2e-3)
    assert scope_state(client, control)["defocus_nm"] == done["start_snapshot"]["defocus_nm"]
    restore = [e for e in events(client, control, job["id"]) if e["kind"] == "restore"]
    assert restore and restore[0]["payload"]["ok"] is True
    with database_engine.connect() as connection:
        audit = connection.execute(select(OpticsAudit.what, OpticsAudit.job_id)).all()
    assert {row.job_id for row in audit if row.job_id} == {uuid.UUID(job["id"])}
    assert any(row.job_id is None and row.what == "stigmator" for row in audit)  # the fixture's


def test_stopping_the_service_mid_job_interrupts_it_and_restores_the_scope(app, control):
    client = TestClient(app)
    with client:
        handle = client.app.state.scopes["sim"]
        client.portal.call(handle.get().walk_stigmator, *START_STIG)
        job = submit(client, control, "calibrate_stigmators", CALIBRATE).json()
        url = f"/api/v1/ws/jobs/{job['id']}"
        with client.websocket_connect(url, headers=dict(control)) as socket:
            while socket.receive_json()["kind"] != "move":
                pass
    with TestClient(app) as client:  # started again (with a fresh in-process simulator)
        done = client.get(f"/api/v1/jobs/{job['id']}", headers=control).json()
        assert done["state"] == "interrupted" and done["error"] == "the service stopped"
    stig_after = truth_report(handle.simulator)["stig_commanded"]
    assert stig_after == pytest.approx(START_STIG, abs=2e-3)


def test_a_job_whose_fits_find_no_worker_fails_on_the_timeout_and_restores(
    db_url, tmp_path, clean_env, control
):
    from distributed import LocalCluster

    cluster_options = {"n_workers": 1, "processes": False, "dashboard_address": ":0"}
    with LocalCluster(**cluster_options) as cluster:  # no worker offers a `ctf` slot
        pool = {"scheduler": cluster.scheduler_address, "fit_timeout_s": 1.0}
        settings = make_settings(db_url, tmp_path, simulator=SIMULATOR, pool=pool)
        with TestClient(create_app(settings)) as client:
            handle = client.app.state.scopes["sim"]
            client.portal.call(handle.get().walk_stigmator, *START_STIG)
            job = submit(client, control, "calibrate_stigmators", CALIBRATE).json()
            done = wait_final(client, control, job["id"])
            assert stig(client, control) == pytest.approx(START_STIG, abs=2e-3)
            restore = [e for e in events(client, control, job["id"]) if e["kind"] == "restore"]
    assert done["state"] == "failed"
    assert done["error"].startswith("FitTimeoutError: no result from the compute pool within 1 s")
    assert "`ctf` resource" in done["error"]
    assert restore and restore[0]["payload"]["ok"] is True
