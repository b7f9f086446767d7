"""The Thon-ring ellipses drawn over a spectrum are where the CTF is zero, and where the data is."""

from __future__ import annotations

import math

import numpy as np
import pytest

from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics, ctf_phase, defocus_at_azimuth_A
from astigd.workers.ctf_zeros import flattened_log_spectrum, zero_ring_k_invA
from astigd.workers.spectrum import estimate_power_spectrum

OPTICS = Optics(1.0)
AZIMUTHS = np.linspace(0.0, 2 * math.pi, 72, endpoint=False)
TRUTH = {"defocus_mean_nm": 1500.0, "astig_nm": 200.0, "angle_deg": 30.0}


def vector(astig_nm: float, angle_deg: float) -> tuple[float, float]:
    doubled = math.radians(2 * angle_deg)
    return astig_nm * math.cos(doubled), astig_nm * math.sin(doubled)


@pytest.mark.parametrize("order", [1, 2, 5])
def test_zero_rings_are_where_the_ctf_phase_is_a_multiple_of_pi(order):
    vec = vector(200.0, 30.0)
    k = zero_ring_k_invA(order, 1500.0, vec, OPTICS, AZIMUTHS)
    defocus_A = defocus_at_azimuth_A(1500.0, *vec, np.cos(2 * AZIMUTHS), np.sin(2 * AZIMUTHS))
    assert ctf_phase(k**2, defocus_A, OPTICS) == pytest.approx(order * math.pi, abs=1e-9)


def test_rings_are_closest_to_the_centre_along_the_defocus1_axis():
    angle_deg = 30.0
    axes = np.radians([angle_deg, angle_deg + 90.0])
    along_major, along_minor = zero_ring_k_invA(1, 1500.0, vector(200.0, angle_deg), OPTICS, axes)
    assert along_major < along_minor  # more underfocus: the first zero comes sooner


def test_without_cs_the_zero_follows_the_defocus_term_alone():
    optics = Optics(1.0, cs_mm=0.0)
    (k,) = zero_ring_k_invA(1, 1000.0, (0.0, 0.0), optics, np.array([0.0]))
    expected = math.sqrt((math.pi - optics.constant_phase) / (math.pi * optics.wavelength_A * 1e4))
    assert k == pytest.approx(expected)


def test_a_cs_beyond_reach_gives_no_ring():
    (k,) = zero_ring_k_invA(400, 100.0, (0.0, 0.0), OPTICS, np.array([0.0]))
    assert math.isnan(k)


def sample(image: np.ndarray, step_invA: float, k: np.ndarray) -> np.ndarray:
    """Return the image at (k·cos φ, k·sin φ), DC at the centre, +y up, nearest pixel."""
    half = image.shape[0] // 2
    columns = np.rint(half + k * np.cos(AZIMUTHS) / step_invA).astype(int)
    rows = np.rint(half + k * np.sin(AZIMUTHS) / step_invA).astype(int)
    return image[rows, columns]


def test_the_true_zero_rings_run_along_the_dark_rings_of_a_simulated_spectrum():
    frame = synthesize_frame(Exposure(OPTICS, **TRUTH), (1024, 1024), rng=3)
    spectrum = estimate_power_spectrum(frame, OPTICS.pixel_size_A, 512)
    image = flattened_log_spectrum(spectrum)
    vec = vector(TRUTH["astig_nm"], TRUTH["angle_deg"])
    step = spectrum.frequency_step_invA
    for order in (2, 3, 4):
        at_zero = sample(image, step, zero_ring_k_invA(order, 1500.0, vec, OPTICS, AZIMUTHS))
        at_peak = sample(image, step, zero_ring_k_invA(order + 0.5, 1500.0, vec, OPTICS, AZIMUTHS))
        assert at_zero.mean() < at_peak.mean() - 0.2 * image.std()
    wrong = vector(TRUTH["astig_nm"], TRUTH["angle_deg"] + 90.0)  # the axes swapped
    swapped = sample(image, step, zero_ring_k_invA(3, 1500.0, wrong, OPTICS, AZIMUTHS))
    right = sample(image, step, zero_ring_k_invA(3, 1500.0, vec, OPTICS, AZIMUTHS))
    assert right.mean() < swapped.mean()
