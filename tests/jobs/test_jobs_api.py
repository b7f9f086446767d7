"""Jobs over HTTP: submit, run to success with ordered events, validation, busy, queue order."""

from __future__ import annotations

import pytest

from tests.jobs.conftest import LONG_SWEEP, QUICK_SWEEP, events, submit, wait_final


def test_a_submitted_sweep_runs_to_success_with_events_in_seq_order(client, control):
    response = submit(client, control, "defocus_sweep", QUICK_SWEEP)
    assert response.status_code == 201 and response.json()["state"] == "queued"
    job = wait_final(client, control, response.json()["id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["result"]["k_obj_nm_per_um"] > 0 and job["start_snapshot"]["stig"] == [0.0, 0.0]
    stream = events(client, control, job["id"])
    assert [event["seq"] for event in stream] == list(range(1, len(stream) + 1))
    states = [e["payload"]["state"] for e in stream if e["kind"] == "state"]
    assert states == ["queued", "running", "succeeded"]
    assert [e["kind"] for e in stream][2] == "start" and stream[-1]["kind"] == "state"
    assert events(client, control, job["id"], after_seq=len(stream) - 1) == stream[-1:]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"procedure": "no_such_thing", "params": {}}, ["body", "procedure"]),
        ({"procedure": "defocus_sweep", "params": {"frames_per_step": 0}},
         ["body", "params", "frames_per_step"]),
        ({"procedure": "defocus_sweep", "params": {"bogus": 1}}, ["body", "params", "bogus"]),
        ({"procedure": "calibrate_btid", "params": {"tilt_mrad": 50.0}},
         ["body", "params", "tilt_mrad"]),
        ({"procedure": "correct", "params": {"method": "zemlin"}}, ["body", "params", "method"]),
    ],
)  # fmt: skip
def test_unknown_procedures_and_invalid_params_are_refused_with_422(client, control, body, where):
    response = client.post("/api/v1/scopes/sim/jobs", json=body, headers=control)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == where
    assert client.get("/api/v1/jobs", headers=control).json()["items"] == []


def test_unknown_scope_404_and_read_key_cannot_submit(client, control, keys):
    assert submit(client, control, "defocus_sweep", QUICK_SWEEP, scope="nope").status_code == 404
    reader = {"X-API-Key": keys["read"]}
    assert submit(client, reader, "defocus_sweep", QUICK_SWEEP).status_code == 403
    missing = "/api/v1/jobs/00000000-0000-0000-0000-000000000000"
    assert client.get(missing, headers=reader).status_code == 404


def test_jobs_queue_in_submission_order_and_no_wait_gets_409_while_busy(client, control):
    first = submit(client, control, "defocus_sweep", LONG_SWEEP).json()
    queued = [submit(client, control, "defocus_sweep", QUICK_SWEEP).json() for _ in range(2)]
    busy = submit(client, control, "defocus_sweep", QUICK_SWEEP, wait=False)
    assert busy.status_code == 409 and "busy" in busy.json()["detail"]
    finished = [wait_final(client, control, job["id"]) for job in (first, *queued)]
    assert all(job["state"] == "succeeded" for job in finished)
    starts = [job["started_at"] for job in finished]
    ends = [job["finished_at"] for job in finished]
    assert starts == sorted(starts) and all(e <= s for e, s in zip(ends, starts[1:], strict=False))
    listed = client.get("/api/v1/jobs", params={"scope_id": "sim", "state": "succeeded"},
                        headers=control).json()["items"]  # fmt: skip
    assert [job["id"] for job in listed] == [job["id"] for job in reversed(finished)]
    assert submit(client, control, "defocus_sweep", QUICK_SWEEP, wait=False).status_code == 201


def test_cancelling_a_queued_job_ends_it_before_it_starts(client, control):
    first = submit(client, control, "defocus_sweep", LONG_SWEEP).json()
    second = submit(client, control, "defocus_sweep", QUICK_SWEEP).json()
    cancelled = client.post(f"/api/v1/jobs/{second['id']}/cancel", headers=control).json()
    assert cancelled["state"] == "cancelled" and cancelled["started_at"] is None
    assert wait_final(client, control, first["id"])["state"] == "succeeded"
    kinds = [(e["kind"], e["payload"].get("state")) for e in events(client, control, second["id"])]
    assert kinds == [("state", "queued"), ("state", "cancelled")]
