"""Closed-loop correction on the simulated scope, scored against the simulator's truth."""

from __future__ import annotations

import numpy as np
import pytest

from astigd.app.db.models import Measurement
from astigd.app.procedures import correct
from astigd.app.procedures.errors import ProcedureError
from astigd.drivers.simulator.faults import FaultSpec

pytestmark = pytest.mark.anyio

DEFOCUS_NM = 2000.0
PRECISE = {"exposure_s": 8.0}  # 160 e/Å²: about 1.5 nm rms per measurement
TWO_ANGSTROM = correct.CorrectParams(target_resolution_A=2.0, **PRECISE)  # tolerance 10.2 nm


@pytest.fixture
async def rig(make_rig):
    rig = make_rig()
    await rig.scope.set_defocus_nm(DEFOCUS_NM)
    return rig


async def test_measure_only_reports_the_needed_change_and_moves_nothing(rig) -> None:
    await rig.save_true_calibration()
    await rig.aim((120.0, -80.0))
    before = await rig.scope.get_stigmator()
    writes = len(rig.microscope.state.stigmator.writes)
    params = correct.CorrectParams(measure_only=True, **PRECISE)
    result = rig.json_ready(await correct.run(await rig.runtime(), params))
    assert await rig.scope.get_stigmator() == before
    assert len(rig.microscope.state.stigmator.writes) == writes
    assert not rig.kinds("move")
    await rig.scope.walk_stigmator(*result["stig_needed"])
    assert rig.astig_truth_nm() < 6.0


async def test_unreliable_first_fit_never_causes_a_move(rig) -> None:
    await rig.save_true_calibration()
    await rig.aim((150.0, 0.0))
    rig.microscope.faults.arm(FaultSpec(kind="no_thon_rings", endpoint="acquire"))
    writes = len(rig.microscope.state.stigmator.writes)
    with pytest.raises(ProcedureError, match="initial fit is unreliable"):
        await correct.run(await rig.runtime(), correct.CorrectParams(**PRECISE))
    assert len(rig.microscope.state.stigmator.writes) == writes
    assert not rig.kinds("move")


async def test_unreliable_fit_after_a_move_undoes_it_and_fails(rig) -> None:
    await rig.save_true_calibration()
    await rig.aim((200.0, 50.0))
    start = await rig.scope.get_stigmator()
    rig.microscope.faults.arm(FaultSpec(kind="blank_frame", endpoint="acquire", after=1))
    with pytest.raises(ProcedureError, match="unreliable.*the move was undone"):
        await correct.run(await rig.runtime(), correct.CorrectParams(**PRECISE))
    assert np.allclose(await rig.scope.get_stigmator(), start, atol=1e-9)
    assert [m["why"] for m in rig.kinds("move")] == ["correction move 1", "undo correction move 1"]


async def _gate_stops_the_loop_and_leaves_the_scope_as_found(rig, fault: FaultSpec, match: str):
    """Arm a fault that fires on the frame after the first move; the gate must undo that move."""
    await rig.save_true_calibration()
    await rig.aim((200.0, 50.0))
    start_nm, start = rig.astig_truth_nm(), await rig.scope.get_stigmator()
    rig.microscope.faults.arm(fault)
    with pytest.raises(ProcedureError, match=match):
        await correct.run(await rig.runtime(), correct.CorrectParams(**PRECISE))
    assert np.allclose(await rig.scope.get_stigmator(), start, atol=1e-9)
    assert [m["why"] for m in rig.kinds("move")] == ["correction move 1", "undo correction move 1"]
    assert rig.astig_truth_nm() == pytest.approx(start_nm, abs=1.0)
    assert rig.kinds("fit")[-1]["reliable"]  # the gate, not the reliability check, stopped it


async def test_a_score_drop_after_a_move_undoes_it_and_fails(rig) -> None:
    dim = FaultSpec(kind="dim_beam", endpoint="acquire", after=1, dose_fraction=0.15)
    await _gate_stops_the_loop_and_leaves_the_scope_as_found(
        rig, dim, r"fit score fell .* specimen changed; the move was undone"
    )


async def test_a_focus_change_after_a_move_undoes_it_and_fails(rig) -> None:
    jump = FaultSpec(kind="focus_jump", endpoint="acquire", after=1, focus_jump_nm=500.0)
    await _gate_stops_the_loop_and_leaves_the_scope_as_found(
        rig, jump, r"defocus moved by \d+ nm .* focus changed; the move was undone"
    )


async def test_frames_are_averaged_per_measurement(rig) -> None:
    await rig.save_true_calibration()
    await rig.aim((120.0, -60.0))
    params = correct.CorrectParams(frames=3, target_resolution_A=2.0, **PRECISE)
    result = rig.json_ready(await correct.run(await rig.runtime(), params))
    fits = rig.kinds("fit")
    ids = [i for fit in fits for i in fit["measurement_ids"]]
    assert result["moves"] >= 1 and len(fits) == result["moves"] + 1
    assert all(fit["frames"] == 3 and len(fit["measurement_ids"]) == 3 for fit in fits)
    assert len(set(ids)) == len(ids) == 3 * len(fits)  # three acquisitions per measurement
    with rig.sessions() as session:
        rows = [session.get(Measurement, i) for i in fits[0]["measurement_ids"]]
    vectors = np.array([[row.astig_x_nm, row.astig_y_nm] for row in rows])
    weights = np.array([row.astig_uncertainty_nm for row in rows]) ** -2.0
    mean = (weights[:, None] * vectors).sum(axis=0) / weights.sum()
    assert np.allclose(fits[0]["astig_vec_nm"], mean)  # the uncertainty-weighted average
    assert np.ptp(vectors, axis=0).max() > 0.0  # of distinct frames


async def test_a_move_that_makes_astigmatism_grow_is_undone(rig) -> None:
    await rig.save_true_calibration(gain=1.0, turn_deg=150.0)  # a badly wrong calibration
    await rig.aim((100.0, 100.0))
    start_nm, start = rig.astig_truth_nm(), await rig.scope.get_stigmator()
    with pytest.raises(ProcedureError, match="astigmatism grew"):
        await correct.run(await rig.runtime(), correct.CorrectParams(**PRECISE))
    assert np.allclose(await rig.scope.get_stigmator(), start, atol=1e-9)
    assert rig.astig_truth_nm() == pytest.approx(start_nm, abs=1.0)


async def test_a_large_predicted_step_is_clamped(rig) -> None:
    await rig.save_true_calibration()
    await rig.aim((250.0, -150.0))
    params = correct.CorrectParams(max_step=0.03, **PRECISE)
    result = rig.json_ready(await correct.run(await rig.runtime(), params))
    steps = [np.abs(m["step"]).max() for m in rig.kinds("move")]
    assert result["clamped_moves"] == result["moves"] == 3
    assert max(steps) == pytest.approx(0.03)
    assert result["astig_final_nm"] < result["astig_start_nm"]
    assert not result["converged"]


async def test_missing_calibration_is_refused_before_anything_happens(rig) -> None:
    with pytest.raises(ProcedureError, match="no stigmator calibration.*calibrate_stigmators"):
        await correct.run(await rig.runtime(), correct.CorrectParams())
    assert not rig.kinds("fit") and not rig.kinds("move")


async def test_ill_conditioned_calibration_is_refused(rig) -> None:
    matrix = [[1000.0, 990.0], [100.0, 180.0]]  # MX and MY nearly parallel
    record = {"matrix_nm_per_unit": matrix, "residual_rms_nm": 1.0, "n_probes": 6}
    await rig.store.save("stigmator_response", await rig.scope.snapshot(), record)
    with pytest.raises(ProcedureError, match="ill-conditioned"):
        await correct.run(await rig.runtime(), correct.CorrectParams())
    assert not rig.kinds("move")


async def test_correct_at_a_defocus_returns_to_the_starting_focus(rig) -> None:
    await rig.save_true_calibration()
    await rig.aim((60.0, 40.0))
    params = correct.CorrectParams(defocus_nm=1500.0, target_resolution_A=2.0, **PRECISE)
    result = rig.json_ready(await correct.run(await rig.runtime(), params))
    assert result["converged"]
    assert await rig.scope.get_defocus_nm() == DEFOCUS_NM
    kinds = [kind for kind, _ in rig.events]
    assert kinds[0] == "start" and "fit" in kinds
    start = rig.events[0][1]
    assert start["params"]["defocus_nm"] == 1500.0
    assert start["versions"]["estimator"] == "astigd-ctf"
    assert start["optics"]["defocus_nm"] == DEFOCUS_NM
