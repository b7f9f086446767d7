"""The gold-ring ellipse fit and the Cs-free profile match, on exact synthetic inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from astigd.drivers.simulator.gold import GOLD_RINGS
from astigd.drivers.simulator.specimens import specimen_named
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.cs_consistency import SCALE_ERRORS, _detrend, _peak, match_curve
from astigd.workers.ctf import Optics, ctf_phase
from astigd.workers.gold_calibration import (
    RingsNotFoundError,
    calibrate_from_spectrum,
    describe_metric,
    fit_ellipse_metric,
)
from astigd.workers.gold_rings import AU_111_A, AU_200_A, RingPoints
from astigd.workers.spectrum import PowerSpectrum


def exact_ring(hkl: str, d_A: float, aniso: AnisoMag, pixel_A: float) -> RingPoints:
    """Return the radii (cycles/px) at which a ring of spacing d lies in the frame."""
    azimuth = np.linspace(0.0, math.pi, 36, endpoint=False)
    metric = (aniso.matrix() / pixel_A) @ (aniso.matrix() / pixel_A)
    u = np.stack([np.cos(azimuth), np.sin(azimuth)])
    radius = 1.0 / (d_A * np.sqrt(np.einsum("in,ij,jn->n", u, metric, u)))
    return RingPoints(hkl, d_A, azimuth, radius, np.full(azimuth.size, 1e-5))


def test_the_ellipse_metric_gives_back_pixel_size_scales_and_angle():
    aniso = AnisoMag(math.sqrt(1.013), 1.0 / math.sqrt(1.013), 123.0)
    rings = [exact_ring(h, d, aniso, 0.8123) for h, d in (("111", AU_111_A), ("200", AU_200_A))]
    metric, covariance, _ = fit_ellipse_metric(rings)
    pixel_A, major, minor, angle = describe_metric(metric)
    assert pixel_A == pytest.approx(0.8123, rel=1e-9)
    assert (major, minor) == pytest.approx((aniso.scale_major, aniso.scale_minor), rel=1e-9)
    assert angle == pytest.approx(123.0, abs=1e-6)
    assert covariance.shape == (3, 3)


def test_a_pixel_size_that_cannot_sample_au111_is_refused():
    spectrum = PowerSpectrum(np.ones((64, 33)), 64, 1.3, 1)
    with pytest.raises(RingsNotFoundError, match="higher magnification"):
        calibrate_from_spectrum(spectrum, 1.3)


def test_the_gold_specimen_has_its_powder_rings_at_the_fcc_spacings():
    gold, carbon = specimen_named("gold"), specimen_named("carbon")
    for ring in GOLD_RINGS:
        k2 = np.array([1.0 / ring.d_A**2, (1.0 / ring.d_A + 5 * ring.width_invA) ** 2])
        on, off = gold.phase_psd(k2) - carbon.phase_psd(k2)
        assert on == pytest.approx(ring.peak_psd_rad2_A2) and off < 1e-4 * on
    assert [r.hkl for r in GOLD_RINGS[:2]] == ["111", "200"]
    assert GOLD_RINGS[0].d_A == pytest.approx(2.355, abs=1e-3)
    assert GOLD_RINGS[1].d_A == pytest.approx(2.039, abs=1e-3)


@pytest.mark.parametrize("error", [-0.02, 0.0, 0.02])
def test_the_cs_free_match_finds_the_scale_error_of_an_exact_profile(error):
    k = np.linspace(0.05, 0.38, 400)
    truth = Optics(0.81, cs_mm=2.7 * (1.0 + error) ** 4)
    defocus_nm = 1000.0 * (1.0 + error) ** 2
    profile = _detrend(np.sin(ctf_phase(k * k, 10.0 * defocus_nm, truth)) ** 2)
    curve = match_curve(k, profile, Optics(0.81), 1000.0)
    assert curve.shape == SCALE_ERRORS.shape
    assert _peak(curve) == pytest.approx(error, abs=0.002)
