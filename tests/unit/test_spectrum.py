import numpy as np
import pytest

from astigd.workers.fft import get_backend
from astigd.workers.geometry import spectrum_geometry
from astigd.workers.spectrum import (
    InvalidFrameError,
    estimate_power_spectrum,
    tile_starts,
    validate_frame,
)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (np.zeros(1024), "2D"),
        (np.full((256, 256), 7.0), "constant"),
        (np.where(np.eye(256) > 0, np.nan, 1.0), "NaN"),
        (np.where(np.eye(256) > 0, np.inf, 1.0), "infinite"),
        (np.ones((64, 512)), "smaller"),
        (np.ones((256, 256), dtype=complex), "real"),
    ],
)
def test_invalid_frames_are_refused_with_a_reason(frame, reason):
    with pytest.raises(InvalidFrameError, match=reason):
        validate_frame(frame)


def test_tiles_overlap_by_half_and_are_capped():
    assert list(tile_starts(1024, 512)) == [0, 256, 512]
    starts = tile_starts(4096, 512)
    assert len(starts) == 8 and starts[0] == 0 and starts[-1] == 4096 - 512


def test_fftw_and_scipy_backends_agree():
    frame = np.random.default_rng(3).poisson(20.0, (768, 768)).astype(np.float32)
    fftw = estimate_power_spectrum(frame, 1.0, 256, get_backend("pyfftw", 1))
    scipy = estimate_power_spectrum(frame, 1.0, 256, get_backend("scipy", 1))
    assert fftw.power.shape == (256, 129)
    np.testing.assert_allclose(fftw.power, scipy.power, rtol=2e-3, atol=1e-6 * fftw.power.max())


def test_white_noise_gives_a_flat_spectrum():
    frame = np.random.default_rng(4).normal(100.0, 5.0, (1024, 1024))
    spectrum = estimate_power_spectrum(frame, 1.0, 256)
    interior = spectrum.power[5:120, 5:120]
    assert interior.std() / interior.mean() < 0.5  # 36 tiles: ~1/6 scatter, no structure


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown FFT backend"):
        get_backend("fftpack")


@pytest.mark.parametrize("box_px", [2048, 4096])
def test_cells_of_a_larger_box_span_the_azimuth_of_a_1024_box(box_px):
    reference, large = (spectrum_geometry(box, 1.0, 0.05, 0.25) for box in (1024, box_px))
    shells = box_px // 1024  # a larger box has this many shells where the 1024 box has one
    for k_invA in (0.1, 0.2):
        near = [np.abs(g.k_invA - k_invA) < 4 / 1024 for g in (reference, large)]
        assert near[1].sum() / near[0].sum() == pytest.approx(shells, rel=0.05)
    assert large.count.sum() / reference.count.sum() == pytest.approx(shells**2, rel=0.01)
