"""Stigmator calibration on the simulated scope: the true response, Δ adaptation, storage."""

from __future__ import annotations

import math

import numpy as np
import pytest

from astigd.app.procedures import calibrate_stigmators, correct
from astigd.app.procedures.errors import ProcedureError
from astigd.drivers.simulator.config import LensStatistics
from astigd.drivers.simulator.faults import FaultSpec
from tests.procedures.conftest import config

pytestmark = pytest.mark.anyio

PRECISE = {"exposure_s": 4.0}


def column_errors(measured: np.ndarray, truth: np.ndarray) -> list[tuple[float, float]]:
    """Return each column's relative gain error and direction error (degrees)."""
    errors = []
    for m, t in zip(measured.T, truth.T, strict=True):
        gain = abs(np.linalg.norm(m) / np.linalg.norm(t) - 1.0)
        turn = math.degrees(math.atan2(t[0] * m[1] - t[1] * m[0], t @ m))
        errors.append((gain, abs(turn)))
    return errors


async def test_calibration_recovers_the_true_response_and_adapts_the_probe_step(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_defocus_nm(1000.0)
    params = calibrate_stigmators.CalibrateParams(probe_step=0.05, **PRECISE)
    result = rig.json_ready(await calibrate_stigmators.run(await rig.runtime(), params))
    errors = column_errors(np.array(result["matrix_nm_per_unit"]), rig.response_truth())
    for gain_error, turn_deg in errors:
        assert gain_error < 0.05
        assert turn_deg < 3.0
    assert result["well_conditioned"] and abs(result["column_angle_deg"] - 90.0) < 10.0
    assert all(500.0 <= induced <= 1000.0 for induced in result["induced_astig_nm"])
    assert all(step != 0.05 for step in result["probe_steps"])
    assert [s["axis"] for s in rig.kinds("step")] == ["MX", "MY"]
    assert await rig.scope.get_defocus_nm() == 1000.0  # focus restored
    assert await rig.scope.get_stigmator() == pytest.approx((0.0, 0.0), abs=1e-9)
    stored = await rig.store.current("stigmator_response", await rig.scope.snapshot())
    assert stored["id"] == result["calibration_id"] and not stored["fallback"]
    np.testing.assert_allclose(stored["matrix_nm_per_unit"], result["matrix_nm_per_unit"])
    assert len(stored["residuals_nm"]) == result["n_probes"] >= 9


async def test_calibrations_are_appended_and_lookup_falls_back_to_the_nearest_mag(
    make_rig,
) -> None:
    rig = make_rig()
    await rig.scope.set_mag_index(6)
    params = calibrate_stigmators.CalibrateParams(**PRECISE)
    first_id = await rig.save_true_calibration(gain=1.5)
    result = rig.json_ready(await calibrate_stigmators.run(await rig.runtime(), params))
    snapshot = await rig.scope.snapshot()
    assert result["calibration_id"] > first_id
    current = await rig.store.current("stigmator_response", snapshot)
    assert current["id"] == result["calibration_id"]
    history = await rig.store.history("stigmator_response")
    assert [row["id"] for row in history] == [result["calibration_id"], first_id]
    await rig.scope.set_mag_index(8)
    await rig.scope.set_defocus_nm(2000.0)
    result = rig.json_ready(
        await correct.run(await rig.runtime(), correct.CorrectParams(**PRECISE))
    )
    assert result["calibration"]["fallback"] and result["calibration"]["mag_index"] == 6
    (warning,) = [w for w in rig.kinds("warning") if "nearest calibrated" in w["message"]]
    assert "index 8" in warning["message"] and "index, 6" in warning["message"]
    assert warning["calibration"]["fallback"]


async def test_calibration_refuses_when_a_probe_cannot_be_fitted(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_defocus_nm(2000.0)
    rig.microscope.faults.arm(FaultSpec(kind="no_thon_rings", endpoint="acquire", count=None))
    with pytest.raises(ProcedureError, match="probe start could not be fitted"):
        await calibrate_stigmators.run(await rig.runtime(), calibrate_stigmators.CalibrateParams())
    assert not await rig.store.history("stigmator_response")


async def test_calibration_refuses_stigmators_acting_nearly_parallel(make_rig) -> None:
    # MY physically 15° from MX instead of 45°: 30° apart in doubled-angle space, not 90°
    lens = LensStatistics(stig_skew_deg=-30.0, stig_skew_sd_deg=0.0)
    rig = make_rig(config(lens=lens))
    await rig.scope.set_defocus_nm(1000.0)
    ctx = await rig.runtime()
    with pytest.raises(ProcedureError, match=r"MX and MY act \d+° apart.*nothing stored"):
        await calibrate_stigmators.run(ctx, calibrate_stigmators.CalibrateParams(**PRECISE))
    assert rig.kinds("fit") and rig.kinds("move")  # it probed before it refused
    assert not await rig.store.history("stigmator_response")
    await rig.scope.restore(ctx.start_snapshot)  # what the job runner does on failure
    assert await rig.scope.get_stigmator() == (ctx.start_snapshot.stig_x, ctx.start_snapshot.stig_y)
    assert await rig.scope.get_defocus_nm() == 1000.0
