"""BTID numerics: sub-pixel image shifts, the shift matrix G, and G → defocus and astigmatism."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage

from astigd.workers.btid import (
    aberration_change,
    astig_of,
    defocus_of,
    fit_shift_matrix,
    skew_of,
    stigmator_matrix,
    tilt_directions,
)
from astigd.workers.image_shift import measure_shift


def textured(shape=(256, 256), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return scipy.ndimage.gaussian_filter(rng.standard_normal((shape[0] + 64, shape[1] + 64)), 2.0)


@pytest.mark.parametrize("shift", [(0.0, 0.0), (3.3, -7.6), (-12.45, 0.2), (25.5, 19.25)])
def test_measure_shift_recovers_a_known_subpixel_shift(shift) -> None:
    field = textured()
    moved = scipy.ndimage.shift(field, (shift[1], shift[0]), order=3, mode="wrap")
    crop = (slice(32, -32), slice(32, -32))
    rng = np.random.default_rng(1)
    a = field[crop] + 0.2 * field.std() * rng.standard_normal(field[crop].shape)
    b = moved[crop] + 0.2 * field.std() * rng.standard_normal(field[crop].shape)
    result = measure_shift(a, b)
    assert result.reliable
    assert (result.shift_x_px, result.shift_y_px) == pytest.approx(shift, abs=0.1)


def test_measure_shift_distrusts_unrelated_images() -> None:
    rng = np.random.default_rng(3)
    result = measure_shift(rng.standard_normal((128, 128)), rng.standard_normal((128, 128)))
    assert not result.reliable


def test_measure_shift_refuses_mismatched_images() -> None:
    with pytest.raises(ValueError, match="one shape"):
        measure_shift(np.zeros((64, 64)), np.zeros((64, 32)))


def model_g(defocus_nm: float, astig_nm, turn: np.ndarray, pivot: np.ndarray) -> np.ndarray:
    """G (px per mrad) of the physical model: −(df·I + ½·A)·c·R + P."""
    a1, a2 = astig_nm
    aberration = defocus_nm * np.eye(2) + 0.5 * np.array([[a1, a2], [a2, -a1]])
    return -aberration @ turn + pivot


def test_fit_shift_matrix_solves_g_from_plus_minus_pairs() -> None:
    g = np.array([[-7.0, 9.5], [-6.8, -9.1]])
    tilts = tilt_directions(4, 5.0)
    differences = np.array([2.0 * g @ tau for tau in tilts])
    fitted = fit_shift_matrix(tilts, differences)
    assert np.allclose(fitted.matrix, g)
    assert fitted.residual_rms_px == pytest.approx(0.0, abs=1e-9)


def test_aberration_change_gives_defocus_and_astigmatism_despite_slope_and_pivot() -> None:
    angle = np.radians(37.0)
    turn = 0.009 * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pivot = np.array([[0.3, -0.1], [0.2, 0.05]])
    slope = np.array([0.03, -0.01])  # K: astigmatism per nm of defocus
    reference = model_g(1000.0, (20.0, -10.0), turn, pivot)
    focus = (model_g(1500.0, (20.0, -10.0) + 500 * slope, turn, pivot)
             - model_g(500.0, (20.0, -10.0) - 500 * slope, turn, pivot)) / 1000.0  # fmt: skip
    now = model_g(1200.0, np.array([140.0, 90.0]) + 200 * slope, turn, pivot)
    h = aberration_change(now - reference, focus)
    assert defocus_of(h) == pytest.approx(200.0, abs=1.0)  # second order: ¼·ΔA·K
    assert astig_of(h) == pytest.approx([120.0, 100.0], abs=0.5)  # the stigmator part only
    assert abs(skew_of(h)) < 2.0  # second order too: ¼·ΔA×K


def test_stigmator_matrix_maps_shift_responses_to_nm_per_unit() -> None:
    turn = 0.01 * np.eye(2)
    focus = -turn
    response = np.array([[1300.0, -2400.0], [2000.0, 1500.0]])
    shifts = [model_g(0.0, response[:, axis], turn, 0.0) for axis in (0, 1)]
    assert np.allclose(stigmator_matrix(shifts, focus), response)
