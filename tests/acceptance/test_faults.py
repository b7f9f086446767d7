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
    service = make_service(5)
    service.set_defocus(2000.0)
    service.store_calibration(service.true_response(1.1, 10.0))  # so that it takes several moves
    service.jump_astig_to([180.0, -120.0])
    before, start_nm = service.state(), service.astig_nm()
    service.microscope.faults.arm(fault)
    job = service.submit("correct", {"target_resolution_A": 2.0, "exposure_s": 8.0})
    service.microscope.faults.clear()
    assert job["state"] == "failed" and job["error"], job
    after = service.state()
    for axis in ("stig_x", "stig_y"):
        assert after[axis] == pytest.approx(before[axis], abs=2e-3)
    assert after["defocus_nm"] == before["defocus_nm"]
    assert service.astig_nm() <= start_nm + 4.0
    moves = service.get(f"/jobs/{job['id']}/events")
    assert any(event["kind"] == "move" for event in moves)  # it failed mid-run, after moving
