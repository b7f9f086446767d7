import math

import numpy as np
import pytest
from scipy.optimize import brentq

from astigd.drivers.simulator.frames import Exposure, contrast_power, synthesize_frame
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics, ctf_phase, ctf_value

OPTICS = Optics(pixel_size_A=1.0, kv=300.0, cs_mm=2.7, amplitude_contrast=0.07)
N = 1024
SECTOR_DOSE = 50.0  # e/Å²: a wedge holds few pixels, so sector tests use a longer exposure


def normalized_power(frame):
    """|FFT|² divided by the shot-noise floor, so white Poisson noise averages 1."""
    spectrum = np.fft.fft2(frame - frame.mean())
    return (np.abs(spectrum) ** 2 / (frame.size * frame.mean())).astype(np.float64)


def radius_and_azimuth(shape):
    ky = np.fft.fftfreq(shape[0])[:, None]
    kx = np.fft.fftfreq(shape[1])[None, :]
    radius = np.hypot(kx * shape[1], ky * shape[0])
    azimuth = np.degrees(np.arctan2(ky, kx))
    return radius, np.broadcast_to(azimuth, radius.shape)


def profile(frame, angle_deg=None, half_width_deg=12.0):
    """Average the normalized power in integer-radius bins (pixels), optionally in a wedge."""
    power = normalized_power(frame)
    radius, azimuth = radius_and_azimuth(frame.shape)
    keep = np.ones(frame.shape, bool)
    if angle_deg is not None:
        offset = (azimuth - angle_deg + 90.0) % 180.0 - 90.0
        keep = np.abs(offset) <= half_width_deg
    bins = np.rint(radius[keep]).astype(int)
    sums = np.bincount(bins, power[keep], minlength=N)
    counts = np.bincount(bins, minlength=N)
    with np.errstate(invalid="ignore"):
        return (sums / counts)[: N // 2], counts[: N // 2]


def zero_radius_px(n, defocus_nm, optics=OPTICS, n_px=N):
    """Radius in frame pixels of the n-th CTF zero, where chi = n·π."""

    def phase_past_zero(k):
        return ctf_phase(k * k, defocus_nm * 10.0, optics) - n * math.pi

    return brentq(phase_past_zero, 1e-6, 0.5 / optics.pixel_size_A) * optics.pixel_size_A * n_px


def minimum_near(values, predicted_px, window_px):
    """Locate the trough near a predicted radius: vertex of a parabola fitted over a window."""
    radii = np.arange(int(predicted_px - window_px), int(predicted_px + window_px) + 1)
    curvature, slope, _ = np.polyfit(radii, values[radii], 2)
    return -slope / (2 * curvature) if curvature > 0 else np.inf  # a peak is no trough


def trough_radii_px(values, defocus_nm, orders, scale=1.0, optics=OPTICS):
    """Return (measured, predicted) radii of the troughs at the analytic zeros (radius/scale)."""
    measured, predicted = [], []
    for n in orders:
        zero = zero_radius_px(n, defocus_nm, optics) / scale
        spacing = zero_radius_px(n + 1, defocus_nm, optics) / scale - zero
        measured.append(minimum_near(values, zero, 0.45 * spacing))
        predicted.append(zero)
    return np.array(measured), np.array(predicted)


def zero_errors_px(values, defocus_nm, orders, scale=1.0):
    """Distance from each analytic zero (at radius/scale) to the spectrum's trough around it."""
    measured, predicted = trough_radii_px(values, defocus_nm, orders, scale)
    return np.abs(measured - predicted)


def ring_power(frame, defocus_nm, band_invA=(1 / 30, 1 / 8)):
    """Regress the rotational average on the model CTF²: (slope above the floor, correlation)."""
    values, _ = profile(frame)
    k = np.arange(values.size) / (N * OPTICS.pixel_size_A)
    inside = (k >= band_invA[0]) & (k < band_invA[1])
    model = ctf_value(k[inside] ** 2, defocus_nm * 10.0, OPTICS) ** 2
    slope = np.polyfit(model, values[inside], 1)[0]
    return slope, np.corrcoef(model, values[inside])[0, 1]


def exposure(**changes):
    return Exposure(**({"optics": OPTICS, "defocus_mean_nm": 1500.0} | changes))


@pytest.fixture(scope="module")
def carbon_frame():
    return synthesize_frame(exposure(), (N, N), "carbon", rng=11)


def test_frame_is_finite_float32_counts_of_the_requested_shape():
    frame = synthesize_frame(exposure(), (300, 412), "carbon", rng=1)
    assert frame.shape == (300, 412)
    assert frame.dtype == np.float32
    assert np.all(np.isfinite(frame))
    assert np.all(frame >= 0) and np.array_equal(frame, np.round(frame))


@pytest.mark.parametrize("specimen", ["carbon", "ice", "blank"])
def test_same_seed_gives_same_frame_and_other_seed_differs(specimen):
    first = synthesize_frame(exposure(), (256, 256), specimen, rng=5)
    again = synthesize_frame(exposure(), (256, 256), specimen, rng=np.random.default_rng(5))
    other = synthesize_frame(exposure(), (256, 256), specimen, rng=6)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(("pixel_size_A", "dose"), [(1.0, 20.0), (1.5, 40.0), (0.8, 5.0)])
def test_mean_counts_are_dose_times_pixel_area(pixel_size_A, dose):
    optics = Optics(pixel_size_A=pixel_size_A)
    frame = synthesize_frame(exposure(optics=optics, dose_e_per_A2=dose), (512, 512), rng=2)
    assert frame.mean() == pytest.approx(dose * pixel_size_A**2, rel=0.01)


def test_stigmatic_carbon_minima_sit_at_the_analytic_ctf_zeros(carbon_frame):
    values, _ = profile(carbon_frame)
    errors = zero_errors_px(values, 1500.0, orders=range(1, 11))
    assert errors.max() <= 1.5, errors
    assert zero_errors_px(values, 1400.0, orders=range(1, 11)).max() > 2


def test_ctf_zeros_follow_the_pixel_size():
    optics = Optics(pixel_size_A=1.6)
    frame = synthesize_frame(exposure(optics=optics, defocus_mean_nm=2500.0), (N, N), rng=13)
    measured, predicted = trough_radii_px(profile(frame)[0], 2500.0, range(1, 9), optics=optics)
    assert np.abs(measured - predicted).max() <= 1.5
    assert zero_radius_px(3, 2500.0, optics) > 1.5 * zero_radius_px(3, 2500.0) - 1


@pytest.mark.parametrize("angle_deg", [30.0, 115.0])
def test_zeros_along_the_astigmatism_angle_follow_defocus1(angle_deg):
    lens = exposure(astig_nm=400.0, angle_deg=angle_deg, dose_e_per_A2=SECTOR_DOSE)
    frame = synthesize_frame(lens, (N, N), rng=3)
    along, _ = profile(frame, angle_deg)
    across, _ = profile(frame, angle_deg + 90.0)
    assert zero_errors_px(along, 1700.0, orders=range(1, 6)).max() <= 2
    assert zero_errors_px(across, 1300.0, orders=range(1, 6)).max() <= 2
    assert zero_radius_px(1, 1700.0) < zero_radius_px(1, 1300.0) - 5


def test_rot90_of_a_frame_at_theta_looks_like_a_frame_at_theta_plus_90():
    def lens(angle_deg):
        return exposure(astig_nm=400.0, angle_deg=angle_deg, dose_e_per_A2=SECTOR_DOSE)

    rotated = np.rot90(synthesize_frame(lens(30.0), (N, N), rng=4))
    direct = synthesize_frame(lens(120.0), (N, N), rng=12)
    for angle_deg, defocus_nm in ((120.0, 1700.0), (30.0, 1300.0)):
        from_rotated, predicted = trough_radii_px(
            profile(rotated, angle_deg)[0], defocus_nm, range(1, 6)
        )
        from_direct, _ = trough_radii_px(profile(direct, angle_deg)[0], defocus_nm, range(1, 6))
        assert np.abs(from_rotated - predicted).max() <= 2
        assert np.abs(from_rotated - from_direct).max() <= 2.5


def test_anisotropic_magnification_shrinks_rings_along_the_major_axis():
    aniso = AnisoMag(scale_major=1.05, scale_minor=0.98, angle_deg=30.0)
    frame = synthesize_frame(exposure(aniso=aniso, dose_e_per_A2=SECTOR_DOSE), (N, N), rng=7)
    for angle_deg, scale in ((30.0, 1.05), (120.0, 0.98)):
        values, _ = profile(frame, angle_deg)
        assert zero_errors_px(values, 1500.0, range(1, 6), scale).max() <= 2
        assert zero_errors_px(values, 1500.0, range(1, 6)).max() > 2  # rings are not round


def test_blank_frame_has_a_flat_rotational_average(carbon_frame):
    blank = synthesize_frame(exposure(), (N, N), "blank", rng=8)
    for frame, flat in ((blank, True), (carbon_frame, False)):
        values, counts = profile(frame)
        z = (values - 1.0)[8:500] * np.sqrt(counts[8:500] / 2)  # Hermitian pairs are twins
        assert (np.abs(z).max() < 5 and abs(np.mean(z**2) - 1) < 0.3) == flat


def test_ice_rings_are_far_weaker_than_carbon_rings(carbon_frame):
    ice = synthesize_frame(exposure(), (N, N), "ice", rng=9)
    carbon_slope, carbon_corr = ring_power(carbon_frame, 1500.0)
    ice_slope, ice_corr = ring_power(ice, 1500.0)
    assert carbon_corr > 0.8
    assert ice_slope < 0.1 * carbon_slope
    assert ice_corr < 0.5


def test_carbon_rings_reach_beyond_5_angstrom(carbon_frame):
    _, corr = ring_power(carbon_frame, 1500.0, band_invA=(1 / 5, 1 / 4))
    assert corr > 0.4


def test_frame_is_not_periodic():
    frame = synthesize_frame(exposure(dose_e_per_A2=1e4), (512, 512), rng=10).astype(float)
    neighbours = np.corrcoef(frame[:, 0], frame[:, 1])[0, 1]
    wrapped = np.corrcoef(frame[:, 0], frame[:, -1])[0, 1]
    assert neighbours > 0.3
    assert abs(wrapped) < 0.3 * neighbours


def test_unknown_specimen_and_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="specimen"):
        synthesize_frame(exposure(), (64, 64), "platinum")
    with pytest.raises(ValueError, match="dose"):
        exposure(dose_e_per_A2=0.0)
    with pytest.raises(ValueError, match="shape"):
        synthesize_frame(exposure(), (1, 64))


@pytest.mark.parametrize(("defocus_nm", "pixel_size_A"), [(800.0, 1.0), (3000.0, 1.4)])
def test_contrast_power_predicts_the_frame_variance_beyond_shot_noise(defocus_nm, pixel_size_A):
    optics = Optics(pixel_size_A=pixel_size_A, kv=300.0, cs_mm=2.7)
    exposure = Exposure(optics, defocus_nm, 150.0, 30.0)
    frame = synthesize_frame(exposure, (N, N), rng=3).astype(np.float64)
    counts = exposure.counts_per_pixel
    measured = (frame.var() - counts) / counts**2
    expected = contrast_power(exposure, (N, N)).mean()
    assert measured == pytest.approx(expected, rel=0.05)
