"""The Cramér–Rao bound on the astigmatism vector for bench/fit.py's carbon frames. Prints JSON.

    python bench/fit_bound.py                        # the 1024² carbon set (seed 7, 60 frames)
    python bench/fit_bound.py --seed 11 --every 4    # another set, every 4th frame

For each frame of the benchmark set this computes the expected periodogram of the tapered frame
exactly as the fit takes it (one whole-frame box, Tukey taper), from the simulator's own image
transfer: the contrast covariance of the periodic field the frame is cut from, times the window's
autocorrelation, transformed back. Treating the periodogram's samples as independent exponentials
(the Whittle likelihood), the Fisher information of (mean defocus, astig x, astig y) bounds the
mean squared vector error of any unbiased estimator that works from that periodogram, with the
envelopes, background and specimen spectrum known. The result is a floor for bench/fit.py's
"astig_vector_error_rms_nm": a fit that must also estimate those can only do worse.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace

import numpy as np
from fit import ASTIG_NM, DEFOCUS_NM, DOSE_E_PER_A2, OPTICS, random_truth

from astigd.drivers.simulator.frames import Exposure, contrast_power
from astigd.workers.astigmatism import astig_from_vector, astig_vector_nm
from astigd.workers.fit import FRAME_TAPER_FRACTION, FitSettings
from astigd.workers.spectrum import taper

STEP_NM = 0.5  # central-difference step of each parameter


def expected_periodogram(exposure: Exposure, side: int, window_lag_power: np.ndarray) -> np.ndarray:
    """Return the expected periodogram of the windowed frame's contrast (counts²), side² grid."""
    field = contrast_power(exposure, (side, side))
    covariance = np.fft.ifft2(field).real  # periodic, with the padded field's period
    lags = np.fft.fftfreq(2 * side, 1.0 / (2 * side)).astype(int)
    rows, cols = (lags % n for n in covariance.shape)
    windowed = covariance[np.ix_(rows, cols)] * window_lag_power
    counts = exposure.counts_per_pixel
    return counts**2 * np.fft.fft2(windowed).real[::2, ::2]


def window_lag_power(side: int) -> tuple[np.ndarray, float]:
    """Return the taper's autocorrelation on a 2·side lag grid, and its sum of squares."""
    window = taper(side, FRAME_TAPER_FRACTION).astype(np.float64)
    padded = np.zeros((2 * side, 2 * side))
    padded[:side, :side] = window
    spectrum = np.fft.fft2(padded)
    return np.fft.ifft2(spectrum * spectrum.conj()).real, float(np.sum(window**2))


def with_parameters(exposure: Exposure, defocus_nm: float, ax_nm: float, ay_nm: float) -> Exposure:
    """Return the exposure at this mean defocus and astigmatism vector."""
    astig_nm, angle_deg = astig_from_vector(ax_nm, ay_nm)
    return replace(exposure, defocus_mean_nm=defocus_nm, astig_nm=astig_nm, angle_deg=angle_deg)


def band_mask(side: int) -> np.ndarray:
    """Return the unique half of the fit band on the side² frequency grid."""
    k_min, k_max = FitSettings().band_invA(OPTICS.pixel_size_A)
    f = np.fft.fftfreq(side) / OPTICS.pixel_size_A
    k = np.hypot(f[:, None], f[None, :])
    unique = (f[None, :] > 0) | ((f[None, :] == 0) & (f[:, None] > 0))
    return (k >= k_min) & (k <= k_max) & unique


def vector_variance_nm2(exposure: Exposure, side: int, lag_power, window_ss, mask) -> float:
    """Return the bound on E|vector error|² for one frame (trace of the inverse Fisher block)."""
    vector = astig_vector_nm(exposure.astig_nm, exposure.angle_deg)
    point = np.array([exposure.defocus_mean_nm, *vector])
    noise = exposure.counts_per_pixel * window_ss  # white shot noise through the window
    mean = expected_periodogram(exposure, side, lag_power)[mask] + noise
    gradients = []
    for axis in range(3):
        step = np.zeros(3)
        step[axis] = STEP_NM
        up = expected_periodogram(with_parameters(exposure, *(point + step)), side, lag_power)
        down = expected_periodogram(with_parameters(exposure, *(point - step)), side, lag_power)
        gradients.append((up - down)[mask] / (2 * STEP_NM))
    scaled = np.array(gradients) / mean
    fisher = scaled @ scaled.T
    return float(np.trace(np.linalg.inv(fisher)[1:, 1:]))


def main() -> None:
    """Bound every (or every n-th) frame of the benchmark's carbon set and print the rms."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="frame side (one-box frames)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--every", type=int, default=1, help="bound every n-th frame only")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    truths = [random_truth(rng, ASTIG_NM, DEFOCUS_NM) for _ in range(args.count)][:: args.every]
    lag_power, window_ss = window_lag_power(args.size)
    mask = band_mask(args.size)
    variances = [
        vector_variance_nm2(
            Exposure(OPTICS, defocus_nm, astig_nm, angle_deg, DOSE_E_PER_A2),
            args.size, lag_power, window_ss, mask,
        )
        for defocus_nm, astig_nm, angle_deg in truths
    ]  # fmt: skip
    print(json.dumps({
        "frames": len(variances),
        "size_px": args.size,
        "seed": args.seed,
        "astig_vector_bound_rms_nm": round(math.sqrt(float(np.mean(variances))), 2),
        "per_frame_bound_nm": [round(math.sqrt(v), 2) for v in variances],
        "defocus_nm": [round(t[0]) for t in truths],
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
