import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astigd.workers.astigmatism import astig_vector_nm, wrap_angle_deg
from astigd.workers.compensation import clamp_step, compensated_stigmators
from astigd.workers.lens_slope import fit_lens_slope, per_step_statistics
from astigd.workers.stigmator_response import solve_response

# MX and MY 45° apart physically → 90° apart in doubled-angle space, with a small skew.
TRUE_M = np.column_stack([astig_vector_nm(1800.0, 10.0), astig_vector_nm(2100.0, 57.0)])
TRUE_OFFSET = np.array([120.0, -80.0])


def probes(delta=0.3, noise_nm=5.0, seed=0):
    rng = np.random.default_rng(seed)
    stig = np.array([[delta, 0], [-delta, 0], [0, delta], [0, -delta], [0, 0]], float)
    vectors = TRUE_OFFSET + stig @ TRUE_M.T + rng.normal(0, noise_nm, (len(stig), 2))
    return stig, vectors


def test_response_matrix_is_recovered_from_plus_minus_probes():
    response = solve_response(*probes())
    np.testing.assert_allclose(response.matrix_nm_per_unit, TRUE_M, atol=40.0)
    np.testing.assert_allclose(response.offset_nm, TRUE_OFFSET, atol=10.0)
    assert response.column_angle_deg == pytest.approx(94.0, abs=3.0)
    assert response.well_conditioned
    assert 0 < response.residual_rms_nm < 15


def test_correction_step_cancels_the_astigmatism():
    response = solve_response(*probes(noise_nm=0.0))
    astig = np.array([150.0, -60.0])
    step = response.stigmator_change_for(astig)
    np.testing.assert_allclose(astig + TRUE_M @ step, 0.0, atol=1e-6)


def test_probes_that_move_one_stigmator_only_are_refused():
    stig = np.array([[0.2, 0.0], [-0.2, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="independently"):
        solve_response(stig, stig @ TRUE_M.T)


def test_parallel_stigmator_columns_are_flagged():
    parallel = np.column_stack([astig_vector_nm(1800.0, 10.0), astig_vector_nm(1500.0, 15.0)])
    stig = np.array([[0.2, 0], [-0.2, 0], [0, 0.2], [0, -0.2]], float)
    response = solve_response(stig, stig @ parallel.T)
    assert not response.well_conditioned


def sweep(k_nm_per_um=15.0, angle_deg=30.0, noise_nm=3.0, seed=1):
    rng = np.random.default_rng(seed)
    defocus = np.repeat(np.arange(500.0, 3501.0, 300.0), 3)
    slope = np.array(astig_vector_nm(k_nm_per_um, angle_deg))
    vectors = np.array([20.0, 5.0]) + np.outer((defocus - 2000.0) / 1000.0, slope)
    return defocus, vectors + rng.normal(0, noise_nm, vectors.shape)


def test_lens_slope_recovers_k_obj_and_its_angle():
    defocus, vectors = sweep()
    slope = fit_lens_slope(
        defocus, vectors, np.full(len(defocus), 3.0), reference_defocus_nm=2000.0
    )
    assert slope.k_obj_nm_per_um == pytest.approx(15.0, abs=4 * slope.k_obj_se_nm_per_um)
    assert slope.k_obj_se_nm_per_um < 1.0
    assert abs(wrap_angle_deg(slope.angle_deg - 30.0 + 90) - 90) < 4 * slope.angle_se_deg + 0.5
    assert slope.r_squared > 0.9
    assert slope.intercept_nm == pytest.approx((20.0, 5.0), abs=3.0)


def test_per_step_statistics_group_repeats():
    defocus, vectors = sweep(noise_nm=2.0)
    steps = per_step_statistics(defocus, vectors)
    assert len(steps) == 11 and all(step["n"] == 3 for step in steps)
    assert all(0 < step["rmsd_nm"] < 8 for step in steps)


@settings(max_examples=25, deadline=None)
@given(rotation_deg=st.floats(0, 180), k_nm_per_um=st.floats(5, 40))
def test_rotating_every_vector_rotates_the_lens_axis_by_half(rotation_deg, k_nm_per_um):
    defocus, vectors = sweep(k_nm_per_um=k_nm_per_um, angle_deg=30.0, noise_nm=0.5)
    turn = math.radians(2 * rotation_deg)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    base = fit_lens_slope(defocus, vectors)
    turned = fit_lens_slope(defocus, vectors @ rotation.T)
    assert turned.k_obj_nm_per_um == pytest.approx(base.k_obj_nm_per_um, rel=1e-9)
    difference = abs(wrap_angle_deg(turned.angle_deg - base.angle_deg - rotation_deg))
    assert min(difference, 180 - difference) < 1e-6


def test_compensation_cancels_the_lens_slope_at_any_defocus():
    response = solve_response(*probes(noise_nm=0.0))
    slope = np.array(astig_vector_nm(20.0, 70.0))
    reference_stig = np.array([0.05, -0.1])
    for target in (500.0, 2000.0, 3500.0):
        stig = compensated_stigmators(reference_stig, 2000.0, target, tuple(slope), response)
        lens_drift = slope * (target - 2000.0) / 1000.0
        residual = lens_drift + TRUE_M @ (stig - reference_stig)
        np.testing.assert_allclose(residual, 0.0, atol=1e-6)


def test_large_steps_are_clamped_in_direction():
    step, clamped = clamp_step(np.array([0.3, -0.15]), 0.1)
    assert clamped and step == pytest.approx([0.1, -0.05])
    assert clamp_step(np.array([0.05, 0.02]), 0.1) == (pytest.approx([0.05, 0.02]), False)
