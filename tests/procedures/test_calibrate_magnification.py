"""calibrate_magnification on the simulated scope's gold grid: recovered truth and its use."""

from __future__ import annotations

import pytest

from astigd.app.procedures import ProcedureError, calibrate_magnification
from astigd.app.procedures.calibrate_magnification import CalibrateMagnificationParams
from astigd.drivers.simulator.config import CameraConfig
from tests.procedures.conftest import config

pytestmark = pytest.mark.anyio
GOLD_MAG_INDEX = 8  # 105 kx: 0.81 Å/px samples both Au(111) and Au(200)
PARAMS = CalibrateMagnificationParams()  # four frames


def gold_config(seed: int = 5):
    return config(seed, specimen="gold", camera=CameraConfig(frame_px=2048))


async def calibrated_rig(make_rig, seed: int = 5):
    """Return a rig at the gold magnification (astigmatism as it comes) and the result."""
    rig = make_rig(gold_config(seed), declare_aniso=False)
    await rig.scope.set_mag_index(GOLD_MAG_INDEX)
    rig.start_defocus_nm = await rig.scope.get_defocus_nm()
    result = await calibrate_magnification.run(await rig.runtime(), PARAMS)
    return rig, rig.json_ready(result)


async def test_gold_calibration_recovers_pixel_size_and_anisotropy(make_rig):
    rig, result = await calibrated_rig(make_rig)
    truth = rig.truth()
    assert result["pixel_size_A"] == pytest.approx(truth["pixel_size_A"], rel=1e-3)
    assert result["anisotropy"] == pytest.approx(truth["aniso"]["anisotropy"], abs=1e-3)
    turn = (result["angle_deg"] - truth["aniso"]["angle_deg"] + 90.0) % 180.0 - 90.0
    assert abs(turn) < 2.0
    assert 0 < result["pixel_size_uncertainty_A"] < 1e-3 * result["pixel_size_A"]
    assert "111" in {ring["hkl"] for ring in result["rings"]}


async def test_gold_calibration_is_stored_and_restores_the_focus(make_rig):
    rig, result = await calibrated_rig(make_rig)
    snapshot = await rig.scope.snapshot()
    pixel = await rig.store.current("pixel_size", snapshot, same_mag_only=True)
    aniso = await rig.store.current("aniso_mag", snapshot, same_mag_only=True)
    assert pixel["id"] == result["pixel_size_calibration_id"]
    assert pixel["pixel_size_A"] == pytest.approx(result["pixel_size_A"])
    assert aniso["id"] == result["aniso_mag_calibration_id"]
    assert aniso["scale_major"] == pytest.approx(result["scale_major"])
    assert aniso["angle_uncertainty_deg"] == pytest.approx(result["angle_uncertainty_deg"])
    assert 0.0 < aniso["angle_uncertainty_deg"] < 2.0
    assert snapshot.defocus_nm == pytest.approx(rig.start_defocus_nm, abs=1.0)


async def test_fits_at_the_calibrated_magnification_use_and_name_the_calibration(make_rig):
    rig, result = await calibrated_rig(make_rig)
    await rig.scope.set_defocus_nm(1500.0)
    fit, _ = await (await rig.runtime()).acquire_and_fit(1.0)
    assert fit.parameters["aniso"]["scale_major"] == pytest.approx(result["scale_major"])
    assert fit.parameters["optics"]["pixel_size_A"] == pytest.approx(result["pixel_size_A"])
    assert fit.parameters["aniso_mag_calibration_id"] == result["aniso_mag_calibration_id"]


async def test_gold_calibration_refuses_a_magnification_that_cannot_sample_the_rings(make_rig):
    rig = make_rig(gold_config())
    await rig.scope.set_mag_index(6)  # 59 kx: 1.44 Å/px, Nyquist 2.9 Å
    with pytest.raises(ProcedureError, match="higher magnification"):
        await calibrate_magnification.run(await rig.runtime(), PARAMS)
