"""Issue 5's lens figures over HTTP: the sweep's k_obj and angle, anisotropy, compensation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from astigd.workers.astigmatism import astig_from_vector, astig_vector_nm

pytestmark = pytest.mark.slow

SEED = 5
TWO_PERCENT = (2.0, 2.0)
SWEEP = {"defocus_start_nm": 500.0, "defocus_stop_nm": 3500.0, "defocus_step_nm": 300.0,
         "exposure_s": 4.0, "frames_per_step": 2}  # fmt: skip
CORRECT = {"target_resolution_A": 2.0, "exposure_s": 8.0}
REFERENCE_NM = 2000.0


def angle_difference_deg(a: float, b: float) -> float:
    return min(abs(a - b) % 180.0, 180.0 - abs(a - b) % 180.0)


def test_sweep_recovers_k_obj_and_angle_and_undeclared_anisotropy_biases_it_by_2_eps(
    make_service,
) -> None:
    declared = make_service(SEED, aniso_percent=TWO_PERCENT, declare_aniso=True)
    declared.set_defocus(REFERENCE_NM)
    declared.run("calibrate_stigmators", {"exposure_s": 4.0})
    result = declared.run("defocus_sweep", {**SWEEP, "correct_first": True})
    truth = declared.truth()
    assert truth["aniso"]["anisotropy"] == pytest.approx(0.02, abs=0.004)
    assert result["k_obj_nm_per_um"] == pytest.approx(truth["lens_slope_nm_per_um"], abs=1.0)
    assert angle_difference_deg(result["angle_deg"], truth["lens_slope_angle_deg"]) < 3.0
    assert result["correction"]["converged"]

    undeclared = make_service(SEED, aniso_percent=TWO_PERCENT, declare_aniso=False)
    undeclared.set_defocus(REFERENCE_NM)
    biased = undeclared.run("defocus_sweep", SWEEP)
    bias = np.array(biased["slope_nm_per_um"]) - np.array(result["slope_nm_per_um"])
    aniso = truth["aniso"]
    expected = astig_vector_nm(2.0 * aniso["anisotropy"] * 1000.0, aniso["angle_deg"])
    size, direction = astig_from_vector(*bias)
    assert size == pytest.approx(math.hypot(*expected), rel=0.1)  # about 2·ε: 40 nm/µm
    assert angle_difference_deg(direction, aniso["angle_deg"]) < 3.0


def test_compensation_holds_10_nm_over_the_range_where_the_uncompensated_error_grows(
    make_service,
) -> None:
    service = make_service(SEED)
    service.set_defocus(REFERENCE_NM)
    service.run("calibrate_stigmators", {"exposure_s": 4.0})
    sweep = service.run("defocus_sweep", {**SWEEP, "correct_first": True})
    assert sweep["reference_defocus_nm"] == REFERENCE_NM
    k_nm_per_um = service.truth()["lens_slope_nm_per_um"]
    for defocus_nm in np.arange(500.0, 3501.0, 300.0):
        service.set_defocus(float(defocus_nm), compensate=True)
        assert service.astig_nm() <= 10.0, defocus_nm
        service.set_defocus(REFERENCE_NM, compensate=True)
        service.set_defocus(float(defocus_nm), compensate=False)
        drift_nm = k_nm_per_um * abs(defocus_nm - REFERENCE_NM) / 1000.0
        assert service.astig_nm() == pytest.approx(drift_nm, abs=8.0), defocus_nm
