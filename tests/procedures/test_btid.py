"""BTID calibration and correction on the simulated scope, scored against the simulator's truth."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from sqlalchemy import select

from astigd.app.db.models import Measurement
from astigd.app.procedures import calibrate_btid, correct
from astigd.app.procedures.btid_calibration import ESTIMATOR
from astigd.app.procedures.errors import ProcedureError
from astigd.drivers.errors import ScopeError
from astigd.drivers.simulator.config import CameraConfig
from astigd.drivers.simulator.faults import FaultSpec
from tests.procedures.conftest import config

pytestmark = pytest.mark.anyio

DEFOCUS_NM = 1000.0
TWENTY_NM = {"tolerance_nm": 20.0, "confidence_sigmas": 1.0}


async def btid_rig(make_rig, seed: int, mag_index: int = 7, defocus_nm: float = DEFOCUS_NM):
    rig = make_rig(config(seed, specimen_area="fixed", camera=CameraConfig(frame_px=512)))
    await rig.scope.set_mag_index(mag_index)
    await rig.scope.set_defocus_nm(defocus_nm)
    return rig


async def test_calibration_recovers_the_stigmator_response(make_rig) -> None:
    rig = await btid_rig(make_rig, 5)
    await rig.aim((0.0, 0.0))
    tilt = await rig.scope.get_beam_tilt_mrad()
    result = await calibrate_btid.run(await rig.runtime(), calibrate_btid.CalibrateBtidParams())
    print(result)
    matrix = np.asarray(result["astig_response_nm_per_unit"])
    truth = rig.response_truth()
    print(matrix, truth)
    assert np.allclose(matrix, truth, rtol=0.1, atol=0.05 * np.abs(truth).max())
    assert await rig.scope.get_beam_tilt_mrad() == tilt


async def calibrated(make_rig, seed: int, mag_index: int = 7, defocus_nm: float = DEFOCUS_NM,
                     exposure_s: float = 1.0):  # fmt: skip
    rig = await btid_rig(make_rig, seed, mag_index, defocus_nm)
    await rig.aim((0.0, 0.0))
    params = calibrate_btid.CalibrateBtidParams(exposure_s=exposure_s)
    await calibrate_btid.run(await rig.runtime(), params)
    return rig


def vector_nm(angle_deg: float, size_nm: float = 300.0) -> np.ndarray:
    return size_nm * np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_btid_correction_reaches_20_nm_from_300_nm_in_at_most_3_moves(make_rig, seed):
    rig = await calibrated(make_rig, seed)
    await rig.aim(vector_nm(97.0 * seed))
    tilt = await rig.scope.get_beam_tilt_mrad()
    params = correct.CorrectParams(method="btid", **TWENTY_NM)
    result = rig.json_ready(await correct.run(await rig.runtime(), params))
    print(result["moves"], rig.astig_truth_nm(), result["final"]["astig_nm"])
    assert result["method"] == "btid"
    assert result["moves"] <= 3
    assert rig.astig_truth_nm() <= 20.0
    assert await rig.scope.get_beam_tilt_mrad() == tilt
    await assert_every_btid_estimate_is_a_measurement(rig, tilt)


def btid_measurements(rig) -> list[Measurement]:
    with rig.sessions() as session:
        query = select(Measurement).where(Measurement.estimator == ESTIMATOR)
        return list(session.scalars(query.order_by(Measurement.id)))


async def assert_every_btid_estimate_is_a_measurement(rig, tilt) -> None:
    """One measurement row per BTID fit event, holding its numbers and how it was made."""
    estimates = [fit for fit in rig.kinds("fit") if fit.get("method") == "btid"]
    rows = btid_measurements(rig)
    assert len(estimates) >= 2 and len(rows) == len(estimates)
    calibration_id = (await rig.store.history("btid", 1))[0]["id"]
    for estimate, row in zip(estimates, rows, strict=True):
        assert estimate["measurement_ids"] == [row.id]
        assert [row.astig_x_nm, row.astig_y_nm] == pytest.approx(estimate["astig_vec_nm"])
        assert row.astig_uncertainty_nm == pytest.approx(estimate["astig_uncertainty_nm"])
        assert row.reliable == estimate["reliable"] and row.source == "procedure"
        assert row.parameters["method"] == "btid" and row.parameters["tilt_mrad"] > 0
        assert row.parameters["btid_calibration_id"] == calibration_id
        assert row.optics["btid_calibration_id"] == calibration_id
        assert row.optics["beam_tilt_mrad"] == list(tilt)  # the tilt as found, not a tilted one


async def save_todays_lens_slope(rig) -> None:
    """Store the lens slope K as today's defocus sweep would (the simulator's true K)."""
    truth = rig.truth()
    kx, ky = truth["lens_slope_vec_nm_per_um"]
    record = {"slope_nm_per_um": [kx, ky], "k_obj_nm_per_um": truth["lens_slope_nm_per_um"],
              "angle_deg": truth["lens_slope_angle_deg"], "reference_defocus_nm": 2000.0,
              "defocus_min_nm": 1000.0, "defocus_max_nm": 3000.0, "n_points": 5}  # fmt: skip
    await rig.store.save("lens_sweep", await rig.scope.snapshot(), record)


@pytest.mark.parametrize("seed", [4, 6])
async def test_auto_falls_back_to_btid_at_low_magnification_and_reaches_20_nm(make_rig, seed):
    rig = await calibrated(make_rig, seed, mag_index=3, defocus_nm=2000.0, exposure_s=4.0)
    await save_todays_lens_slope(rig)  # calibrated 1 µm away: the estimate adds K·Δdf
    await rig.scope.set_defocus_nm(1000.0)  # Thon rings too weak at 5.7 Å per pixel for a CTF fit
    await rig.aim(vector_nm(130.0 * seed))
    params = correct.CorrectParams(method="auto", **TWENTY_NM)
    result = rig.json_ready(await correct.run(await rig.runtime(), params))
    print(result["moves"], rig.astig_truth_nm(), result["final"]["astig_nm"], rig.kinds("warning"))
    assert result["method"] == "btid"
    assert any("measuring by BTID" in w["message"] for w in rig.kinds("warning"))
    assert result["moves"] <= 3
    assert rig.astig_truth_nm() <= 20.0
    await assert_every_btid_estimate_is_a_measurement(rig, await rig.scope.get_beam_tilt_mrad())


async def test_a_dropped_frame_mid_btid_fails_and_leaves_the_beam_tilt_as_found(make_rig):
    rig = await calibrated(make_rig, 7)
    await rig.aim(vector_nm(40.0))
    ctx = await rig.runtime()
    rig.microscope.faults.arm(FaultSpec(kind="drop", endpoint="acquire", after=11))
    with pytest.raises(ScopeError):
        await correct.run(ctx, correct.CorrectParams(method="btid", **TWENTY_NM))
    rig.microscope.faults.clear()
    assert await rig.scope.get_beam_tilt_mrad() == ctx.start_snapshot.beam_tilt_mrad
    await rig.scope.restore(ctx.start_snapshot)  # what the job runner does on failure
    start = (ctx.start_snapshot.stig_x, ctx.start_snapshot.stig_y)
    assert np.allclose(await rig.scope.get_stigmator(), start, atol=2e-3)


async def test_cancel_mid_btid_measurement_sets_the_beam_tilt_back(make_rig, monkeypatch):
    rig = await calibrated(make_rig, 8)
    ctx = await rig.runtime()
    acquire, frames = rig.scope.acquire, []

    async def cancel_after_three_frames(*args, **kwargs):
        frames.append(await acquire(*args, **kwargs))
        if len(frames) == 3:  # with the beam tilted: the cancel lands mid-measurement
            ctx.cancel.set()
        return frames[-1]

    monkeypatch.setattr(rig.scope, "acquire", cancel_after_three_frames)
    with pytest.raises(asyncio.CancelledError):
        await correct.run(ctx, correct.CorrectParams(method="btid", **TWENTY_NM))
    assert len(frames) == 4  # the pair in progress is finished, then it stops at a safe point
    assert await rig.scope.get_beam_tilt_mrad() == ctx.start_snapshot.beam_tilt_mrad
    assert not rig.kinds("move")


async def test_btid_correction_refuses_without_a_calibration_at_this_magnification(make_rig):
    rig = await btid_rig(make_rig, 5)
    with pytest.raises(ProcedureError, match="run calibrate_btid"):
        await correct.run(await rig.runtime(), correct.CorrectParams(method="btid"))
    assert await rig.scope.get_beam_tilt_mrad() == (0.0, 0.0)
