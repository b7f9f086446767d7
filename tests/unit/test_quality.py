import numpy as np

from astigd.workers.quality import parameter_covariance, ring_statistics, unreliable_reason


def test_no_samples_left_gives_an_unreliable_verdict_not_an_error():
    empty = np.zeros(0)
    stats = ring_statistics(empty, empty, empty, empty, empty, empty)
    assert stats.rings_fitted == 0 and stats.significance == 0.0
    assert stats.resolution_A == float("inf")
    assert "no Thon rings" in unreliable_reason(stats, 1.0, 15.0, False, True, 1.0)


def test_rings_agreeing_with_the_model_are_counted_outward():
    rng = np.random.default_rng(0)
    chi = np.linspace(0.1, 10 * np.pi, 20000)
    model = np.sin(chi) ** 2 - 0.5
    data = model + rng.normal(0, 0.5, chi.size)
    data[chi > 6 * np.pi] = rng.normal(0, 0.5, (chi > 6 * np.pi).sum())  # rings fade after 6
    stats = ring_statistics(chi, chi / 100, data, model, np.ones_like(chi), np.ones_like(chi))
    assert stats.rings_fitted == 6
    assert stats.significance > 10


def test_covariance_scales_with_residual_scatter():
    normal = np.diag([4.0, 1.0])
    small = parameter_covariance(normal, np.full(100, 1.0))
    large = parameter_covariance(normal, np.full(100, 2.0))
    np.testing.assert_allclose(large, 4 * small)


def test_a_spectrum_without_shot_noise_is_not_trusted():
    rng = np.random.default_rng(0)
    chi = np.linspace(0.1, 10 * np.pi, 20000)
    model = np.sin(chi) ** 2 - 0.5
    data = model + rng.normal(0, 0.5, chi.size)
    stats = ring_statistics(chi, chi / 100, data, model, np.ones_like(chi), np.ones_like(chi))
    assert unreliable_reason(stats, 1.0, 15.0, False, True, 1.0) is None
    assert "no shot noise" in unreliable_reason(stats, 1.0, 15.0, False, True, 1e-9)
