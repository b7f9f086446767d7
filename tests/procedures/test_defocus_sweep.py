"""The defocus sweep recovers the simulator's lens slope K, and known anisotropy stays out of it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from astigd.app.procedures import defocus_sweep
from astigd.drivers.simulator.config import LensStatistics
from astigd.workers.astigmatism import astig_from_vector, astig_vector_nm
from tests.procedures.conftest import config

pytestmark = pytest.mark.anyio

TWO_PERCENT = config(seed=5, lens=LensStatistics(aniso_percent=(2.0, 2.0)))
SWEEP = {"defocus_start_nm": 500.0, "defocus_stop_nm": 3500.0, "defocus_step_nm": 300.0}
PRECISE = {"exposure_s": 4.0, "frames_per_step": 2}


def angle_difference_deg(a: float, b: float) -> float:
    return min(abs(a - b) % 180.0, 180.0 - abs(a - b) % 180.0)


async def test_sweep_recovers_k_obj_and_angle_with_2_percent_anisotropy_declared(
    make_rig,
) -> None:
    rig = make_rig(TWO_PERCENT)
    await rig.scope.set_defocus_nm(1200.0)
    await rig.save_true_calibration()
    params = defocus_sweep.DefocusSweepParams(correct_first=True, **SWEEP, **PRECISE)
    result = rig.json_ready(await defocus_sweep.run(await rig.runtime(), params))
    truth = rig.truth()
    assert rig.truth()["aniso"]["anisotropy"] == pytest.approx(0.02, abs=0.004)
    assert result["k_obj_nm_per_um"] == pytest.approx(truth["lens_slope_nm_per_um"], abs=1.0)
    assert angle_difference_deg(result["angle_deg"], truth["lens_slope_angle_deg"]) < 3.0
    assert result["k_obj_se_nm_per_um"] < 1.0 and result["r_squared"] > 0.9
    assert result["correction"]["converged"] and result["reference_defocus_nm"] == 2000.0
    assert [s["n"] for s in result["steps"]] == [2] * 11
    assert all(s["astig_rmsd_nm"] >= 0.0 for s in result["steps"])
    assert len(rig.kinds("step")) == 11
    assert result["aniso_removed"]["scale_major"] > 1.0
    assert await rig.scope.get_defocus_nm() == 1200.0
    stored = await rig.store.current("lens_sweep", await rig.scope.snapshot())
    assert stored["id"] == result["sweep_id"] and len(stored["points"]) == 22
    assert stored["k_obj_nm_per_um"] == pytest.approx(result["k_obj_nm_per_um"])
    assert all(point["measurement_id"] for point in stored["points"])


async def test_undeclared_anisotropy_biases_the_slope_by_twice_the_anisotropy(make_rig) -> None:
    rig = make_rig(TWO_PERCENT)
    params = defocus_sweep.DefocusSweepParams(**SWEEP, exposure_s=4.0, frames_per_step=1)
    slopes = {}
    for declared in (True, False):
        rig.declare_aniso(declared)
        result = rig.json_ready(await defocus_sweep.run(await rig.runtime(), params))
        slopes[declared] = np.array(result["slope_nm_per_um"])
    aniso = rig.truth()["aniso"]
    expected = astig_vector_nm(2.0 * aniso["anisotropy"] * 1000.0, aniso["angle_deg"])
    bias = slopes[False] - slopes[True]
    size, direction = astig_from_vector(*bias)
    assert size == pytest.approx(math.hypot(*expected), rel=0.1)  # about 2·ε: 40 nm/µm
    assert angle_difference_deg(direction, aniso["angle_deg"]) < 3.0
