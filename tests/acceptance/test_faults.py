"""Issue 5's safety figure over HTTP: a fault mid-correction fails the job cleanly, and the
stigmators are back where they were, never worse than at the start."""

from __future__ import annotations

import pytest

from astigd.drivers.simulator.faults import FaultSpec

STIG_PUT = {"endpoint": "objective_stigmator", "method": "PUT", "after": 1}
FAULTS = {
    "blank frame after the first move": FaultSpec(kind="blank_frame", endpoint="acquire", after=1),
    "no rings after the first move": FaultSpec(kind="no_thon_rings", endpoint="acquire", after=1),
    "connection drops on a stigmator write": FaultSpec(kind="drop", **STIG_PUT),
    "connection drops on the second frame": FaultSpec(kind="drop", endpoint="acquire", after=1),
    "vendor refuses a stigmator write": FaultSpec(kind="out_of_range", **STIG_PUT),
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_fault_mid_correction_fails_the_job_and_the_scope_is_left_as_found(
    make_service, fault: FaultSpec
) -> None:
    job = _correct_through(make_service(5), fault)
    assert job["error"], job


def test_a_stigmator_write_that_times_out_fails_the_job_and_the_runner_restores(
    make_service,
) -> None:
    # The scope answers the write only after 3 s, six times the call timeout: the call fails, the
    # job fails, and the job runner's restore gets through once the scope answers again.
    service = make_service(5, call_timeout_s=0.5)
    timeout = FaultSpec(kind="timeout", delay_s=3.0, **STIG_PUT)
    job = _correct_through(service, timeout)
    assert "set_stigmator did not answer within 0.5 s" in job["error"], job
    assert "restore failed" not in job["error"], job
    restores = [e for e in service.get(f"/jobs/{job['id']}/events") if e["kind"] == "restore"]
    assert [e["payload"]["ok"] for e in restores] == [True]


def _correct_through(service, fault: FaultSpec) -> dict:
    """Run a correction with the fault armed until the job ends (the job runner alone restores);
    check that the scope is left as found and the measurements kept; return the job."""
    service.set_defocus(2000.0)
    service.store_calibration(service.true_response(1.1, 10.0))  # so that it takes several moves
    service.jump_astig_to([180.0, -120.0])
    before, start_nm = service.state(), service.astig_nm()
    service.microscope.faults.arm(fault)
    job = service.submit("correct", {"target_resolution_A": 2.0, "exposure_s": 8.0})
    service.microscope.faults.clear()
    assert job["state"] == "failed", job
    after = service.state()
    for axis in ("stig_x", "stig_y"):
        assert after[axis] == pytest.approx(before[axis], abs=2e-3)
    assert after["defocus_nm"] == before["defocus_nm"]
    assert service.astig_nm() <= start_nm + 4.0
    events = service.get(f"/jobs/{job['id']}/events")
    assert any(event["kind"] == "move" for event in events)  # it failed mid-run, after moving
    _measurements_are_kept(service, job["id"], events)
    return job


def _measurements_are_kept(service, job_id: str, events: list[dict]) -> None:
    """Check that every frame fitted before the fault is stored under the job."""
    fitted = {i for e in events if e["kind"] == "fit" for i in e["payload"]["measurement_ids"]}
    stored = service.get("/measurements", job_id=job_id, limit=1000)
    assert fitted and {row["id"] for row in stored["items"]} >= fitted
