"""The simulated scope's physics: Eq. 1 lens model, stigmators, drift and magnification."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.lens import lens_on
from astigd.drivers.simulator.magnifications import NOMINAL_TABLE
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.optics_model import tilt_terms
from astigd.drivers.simulator.vendor_errors import OutOfRangeError

DAY = dt.date(2025, 3, 14)


def scope(seed: int = 3, date: dt.date = DAY, **timing: float) -> SimulatedMicroscope:
    return SimulatedMicroscope(
        SimulatorConfig(seed=seed, date=date, timing=Timing(time_scale=0.0, **timing))
    )


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_stigmators_are_90_degrees_apart_in_doubled_angle_space_with_realistic_gains(seed):
    m = scope(seed)
    response = m.state.truth().response_nm
    assert 80.0 < angle_between_deg(response[:, 0], response[:, 1]) < 100.0
    assert all(900.0 < g < 3300.0 for g in np.linalg.norm(response, axis=0))


def test_astigmatism_grows_linearly_with_lens_defocus_at_slope_k():
    m = scope()
    vectors = []
    for defocus_nm in (500.0, 1500.0, 2500.0):
        m.state.set_defocus_nm(defocus_nm)
        vectors.append(m.state.truth().astig_vec_nm)
    step = (vectors[1] - vectors[0]) / 1000.0
    np.testing.assert_allclose((vectors[2] - vectors[1]) / 1000.0, step, atol=1e-12)
    np.testing.assert_allclose(step, m.state.truth().slope_frame_vec, atol=1e-12)
    assert 8.0 < 1000.0 * np.linalg.norm(step) < 50.0  # nm of astigmatism per µm


def test_stigmators_add_their_response_to_the_lens_vector():
    m = scope()
    before = m.state.truth()
    m.state.set_stigmator((0.1, -0.05))
    after = m.state.truth()
    moved = after.astig_vec_nm - before.astig_vec_nm
    stig = np.array(m.state.stigmator.effective())
    np.testing.assert_allclose(moved, before.response_nm @ stig, atol=1e-9)


def test_lens_drift_is_reproducible_per_seed_and_date():
    stats = SimulatorConfig().lens
    today, again = lens_on(5, DAY, stats), lens_on(5, DAY, stats)
    np.testing.assert_array_equal(today.slope_vec, again.slope_vec)
    np.testing.assert_array_equal(today.astig_vec_nm, again.astig_vec_nm)
    tomorrow = lens_on(5, DAY + dt.timedelta(days=1), stats)
    other_scope = lens_on(6, DAY, stats)
    assert not np.allclose(today.slope_vec, tomorrow.slope_vec)
    assert not np.allclose(today.astig_vec_nm, other_scope.astig_vec_nm)


def test_lens_slope_drifts_but_stays_near_its_own_magnitude_over_a_year():
    stats = SimulatorConfig().lens
    slopes = [lens_on(2, DAY + dt.timedelta(days=d), stats).slope_vec for d in range(0, 365, 7)]
    sizes = 1000.0 * np.linalg.norm(slopes, axis=1)
    assert sizes.max() / sizes.min() < 1.8
    assert sizes.std() > 0.02 * sizes.mean()


def test_setting_the_date_moves_the_scope_to_that_days_lens():
    m, later = scope(), DAY + dt.timedelta(days=3)
    m.state.set_date(later)
    expected = lens_on(3, later, m.config.lens)
    assert m.state.lens.date == later
    np.testing.assert_array_equal(m.state.lens.slope_vec, expected.slope_vec)
    np.testing.assert_array_equal(m.state.lens.astig_vec_nm, expected.astig_vec_nm)


def test_returning_to_a_magnification_changes_astigmatism_but_not_the_defocus_offset():
    m = scope()
    first = m.state.truth()
    m.set_mag_index(3)
    m.set_mag_index(7)
    second = m.state.truth()
    assert np.linalg.norm(second.astig_vec_nm - first.astig_vec_nm) > 0.5
    assert second.defocus_nm == pytest.approx(first.defocus_nm)


def test_magnification_terms_are_non_linear_and_reproducible_per_seed():
    a, b = scope(4), scope(4)
    terms = [np.asarray(a.state.table[i].astig_vec_nm) for i, _, _ in NOMINAL_TABLE]
    again = [np.asarray(b.state.table[i].astig_vec_nm) for i, _, _ in NOMINAL_TABLE]
    np.testing.assert_array_equal(terms, again)
    u = np.log([mag for _, mag, _ in NOMINAL_TABLE])
    line = np.polyval(np.polyfit(u, np.array(terms)[:, 0], 1), u)
    assert np.abs(np.array(terms)[:, 0] - line).max() > 2.0


def test_table_spans_5kx_to_165kx_with_realistic_pixels_and_anisotropy():
    table = scope().state.table
    assert table[1].pixel_size_A == pytest.approx(17.0)
    assert table[10].pixel_size_A == pytest.approx(0.515, abs=1e-3)
    for mag in table.values():
        assert abs(mag.true_pixel_size_A / mag.pixel_size_A - 1.0) < 0.03
        assert 0.003 < mag.aniso.anisotropy < 0.02


def test_beam_tilt_induces_astigmatism_two_cs_tau_squared():
    vector, defocus = tilt_terms((1.0, 0.0), cs_mm=2.7)
    assert np.linalg.norm(vector) == pytest.approx(5.4)
    assert defocus == pytest.approx(-5.4)


def test_stigmator_backlash_depends_on_the_approach_side():
    m = scope()
    m.state.set_stigmator((0.2, 0.2))
    m.state.set_stigmator((0.1, 0.1))
    from_above = m.state.stigmator.effective()
    m.state.set_stigmator((0.0, 0.0))
    m.state.set_stigmator((0.1, 0.1))
    from_below = m.state.stigmator.effective()
    assert from_above[0] - from_below[0] == pytest.approx(0.002)
    assert m.state.stigmator.commanded == (0.1, 0.1)


def test_stigmator_settles_exponentially_in_real_time():
    m = SimulatedMicroscope(SimulatorConfig(timing=Timing(time_scale=1.0, stigmator_settle_s=30.0)))
    m.state.set_stigmator((0.5, 0.0))
    assert m.state.stigmator.effective()[0] < 0.1
    assert m.state.stigmator.commanded == (0.5, 0.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.set_stigmator((1.2, 0.0)),
        lambda s: s.set_stigmator((float("nan"), 0.0)),
        lambda s: s.set_defocus_nm(1e6),
        lambda s: s.set_mag_index(99),
        lambda s: s.set_probe_mode("LOWDOSE"),
        lambda s: s.set_rotation_center((80.0, 0.0)),
    ],
)
def test_out_of_range_settings_are_refused(call):
    with pytest.raises(OutOfRangeError):
        call(scope().state)


def test_session_drift_follows_simulated_time():
    m = scope()
    before = m.state.truth().astig_vec_nm
    m.clock.advance(3600.0)
    moved = np.linalg.norm(m.state.truth().astig_vec_nm - before)
    assert moved == pytest.approx(m.config.lens.session_drift_nm_per_hour)
