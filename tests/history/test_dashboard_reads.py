"""The reads the dashboard needs: the newest lens sweep with its steps, and alerts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobEvent, Measurement
from tests.live.conftest import save_calibration

# Two frames at each of three commanded steps; the fitted defocus is 2 % high (pixel size).
FRAMES = [(1000.0, (10.0, -2.0)), (1000.0, (12.0, -4.0)), (2000.0, (20.0, 0.0)),
          (2000.0, (22.0, 2.0)), (3000.0, (30.0, 3.0)), (3000.0, (30.0, 5.0))]  # fmt: skip


def add_measurement(app, commanded_nm: float, vector: tuple[float, float]) -> int:
    with app.state.sessions() as session:
        row = Measurement(
            scope_id="sim", source="procedure", astig_x_nm=vector[0], astig_y_nm=vector[1],
            defocus_mean_nm=1.02 * commanded_nm, reliable=True, estimator="astigd-ctf",
            version="test", optics={"defocus_nm": commanded_nm},
        )  # fmt: skip
        session.add(row)
        session.commit()
        return row.id


def sweep_record(app, k_obj: float = 10.0) -> dict:
    points = [
        {"defocus_nm": 1.02 * df, "astig_x_nm": v[0], "astig_y_nm": v[1],
         "astig_uncertainty_nm": 1.0, "measurement_id": add_measurement(app, df, v)}
        for df, v in FRAMES
    ]  # fmt: skip
    return {
        "k_obj_nm_per_um": k_obj, "k_obj_se_nm_per_um": 0.5, "angle_deg": 3.0,
        "angle_se_deg": 1.0, "r_squared": 0.98, "reference_defocus_nm": 2000.0,
        "defocus_min_nm": 1000.0, "defocus_max_nm": 3000.0, "n_points": len(points),
        "slope_nm_per_um": [10.0, 1.0], "astig_ref_nm": [21.0, 1.0], "points": points,
    }  # fmt: skip


def latest(client, reader, **params):
    return client.get("/api/v1/scopes/sim/lens-sweeps/latest", params=params, headers=reader)


def test_latest_sweep_is_null_before_any_sweep(client, reader):
    answer = latest(client, reader)
    assert answer.status_code == 200
    assert answer.json() == {"scope_id": "sim", "sweep": None}


def test_latest_sweep_groups_frames_by_commanded_defocus_with_their_rmsd(client, app, reader):
    save_calibration(app, "lens_sweep", sweep_record(app, k_obj=8.0), mag_index=5)
    newest = save_calibration(app, "lens_sweep", sweep_record(app), mag_index=5)
    sweep = latest(client, reader).json()["sweep"]
    assert sweep["id"] == newest and sweep["k_obj_nm_per_um"] == 10.0
    assert len(sweep["points"]) == 6
    assert sweep["points"][0]["commanded_defocus_nm"] == 1000.0
    assert sweep["points"][0]["defocus_nm"] == pytest.approx(1020.0)
    steps = {step["defocus_nm"]: step for step in sweep["steps"]}
    assert sorted(steps) == [1000.0, 2000.0, 3000.0]
    assert steps[1000.0]["n"] == 2
    assert (steps[1000.0]["astig_x_nm"], steps[1000.0]["astig_y_nm"]) == (11.0, -3.0)
    assert steps[1000.0]["rmsd_nm"] == pytest.approx(2**0.5)  # each frame √2 from the mean
    assert steps[3000.0]["astig_nm"] == pytest.approx((30.0**2 + 4.0**2) ** 0.5)


def test_latest_sweep_at_a_magnification_index(client, app, reader):
    at_5 = save_calibration(app, "lens_sweep", sweep_record(app), mag_index=5)
    save_calibration(app, "lens_sweep", sweep_record(app), mag_index=6)
    assert latest(client, reader, mag_index=5).json()["sweep"]["id"] == at_5
    assert latest(client, reader, mag_index=9).json()["sweep"] is None


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/scopes/nowhere/lens-sweeps/latest", 404),
        ("/api/v1/scopes/sim/lens-sweeps/latest?mag_index=-1", 422),
        ("/api/v1/scopes/sim/lens-sweeps/latest?mag_index=x", 422),
        ("/api/v1/alerts?scope_id=nowhere", 404),
        ("/api/v1/alerts?since=yesterday", 422),
        ("/api/v1/alerts?limit=0", 422),
    ],
)
def test_dashboard_reads_refuse_bad_input(client, reader, path, status):
    answer = client.get(path, headers=reader)
    assert answer.status_code == status
    assert answer.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/scopes/sim/lens-sweeps/latest", "/api/v1/alerts"])
def test_dashboard_reads_need_a_key(client, path):
    assert client.get(path).status_code == 401


def add_job_events(app, kinds: list[str], age: timedelta = timedelta(0)) -> uuid.UUID:
    now = utc_now() - age
    with app.state.sessions() as session:
        job = Job(scope_id="sim", procedure="acceptance", params={}, state="succeeded")
        session.add(job)
        session.flush()
        for seq, kind in enumerate(kinds, start=1):
            payload = {"alert": "k_obj_outlier", "message": f"alert at seq {seq}"}
            session.add(JobEvent(job_id=job.id, seq=seq, kind=kind, payload=payload,
                                 created_at=now + timedelta(seconds=seq)))  # fmt: skip
        session.commit()
        return job.id


def test_alerts_are_the_alert_events_newest_first(client, app, reader):
    old = add_job_events(app, ["start", "alert"], age=timedelta(days=40))
    recent = add_job_events(app, ["start", "step", "alert", "alert", "state"])
    alerts = client.get("/api/v1/alerts", headers=reader).json()
    assert [(a["job_id"], a["seq"]) for a in alerts] == [
        (str(recent), 4),
        (str(recent), 3),
        (str(old), 2),
    ]
    assert alerts[0]["scope_id"] == "sim" and alerts[0]["procedure"] == "acceptance"
    assert alerts[0]["payload"]["message"] == "alert at seq 4"
    since = (utc_now() - timedelta(days=30)).isoformat()
    recent_only = client.get("/api/v1/alerts", params={"since": since, "scope_id": "sim"},
                             headers=reader).json()  # fmt: skip
    assert {a["job_id"] for a in recent_only} == {str(recent)}
    assert len(client.get("/api/v1/alerts", params={"limit": 1}, headers=reader).json()) == 1


def test_stigmator_calibrations_say_when_they_go_stale(client, reader):
    body = client.get("/api/v1/scopes/sim/calibrations/stigmator", headers=reader).json()
    assert body["max_age_h"] == 24.0 and body["items"] == []
