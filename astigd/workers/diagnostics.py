"""Arrays for the familiar diagnostic picture: spectrum beside fit, and the 1D profile."""

from __future__ import annotations

import numpy as np

from astigd.workers.geometry import SpectrumGeometry
from astigd.workers.profile import shell_means
from astigd.workers.quality import RingStats
from astigd.workers.results import FitDiagnostics
from astigd.workers.spectrum import PowerSpectrum

# The 1D profile keeps a 1024 box's shells in larger boxes: the Cs check (cs_consistency)
# detrends it over a fixed number of shells, measured on boxes up to 1024.
PROFILE_BOX_PX = 1024
IMAGE_MAX_PX = 1024  # larger spectra are block-averaged for the picture (smoother, less memory)


def full_plane(half: np.ndarray) -> np.ndarray:
    """Return the centred full-plane image of a Hermitian-symmetric half-plane array."""
    box = half.shape[0]
    full = np.zeros((box, box))
    full[:, : half.shape[1]] = half
    columns = np.arange(half.shape[1], box)
    rows = (-np.arange(box)) % box
    full[:, columns] = half[rows][:, box - columns]
    return np.fft.fftshift(full)


def _scatter(values: np.ndarray, geometry: SpectrumGeometry, keep: np.ndarray, shape) -> np.ndarray:
    per_cell = np.zeros(len(geometry.count))
    per_cell[keep] = values
    half = np.zeros(shape)
    half.ravel()[geometry.flat_index] = per_cell[geometry.cell_of_sample]
    return _binned(full_plane(half))


def _binned(image: np.ndarray) -> np.ndarray:
    """Average square blocks of a centred spectrum image down to about IMAGE_MAX_PX a side.

    The block side divides the image's; DC stays within a block of the centre.
    """
    side = image.shape[0]
    factor = next(f for f in range(max(1, side // IMAGE_MAX_PX), 0, -1) if side % f == 0)
    if factor == 1:
        return image
    shifted = np.roll(image, (factor // 2, factor // 2), axis=(0, 1))
    return shifted.reshape(side // factor, factor, side // factor, factor).mean(axis=(1, 3))


def build_diagnostics(
    spectrum: PowerSpectrum,
    geometry: SpectrumGeometry,
    keep: np.ndarray,
    centred: np.ndarray,
    model: np.ndarray,
    envelope: np.ndarray,
    k_equiv: np.ndarray,
    stats: RingStats,
) -> FitDiagnostics:
    """Normalise data and model by the ring envelope and lay them out for plotting."""
    scale = np.where(np.abs(envelope) > 1e-9, 0.5 * np.abs(envelope), np.inf)
    data_norm = np.clip(centred / scale, -3, 3)
    model_norm = model / scale
    step = spectrum.frequency_step_invA * max(1, spectrum.box_px // PROFILE_BOX_PX)
    shells = np.floor(k_equiv / step).astype(np.intp)
    size = shells.max() + 1
    samples = geometry.count[keep]
    data_profile, counts = shell_means(data_norm, shells, size, samples)
    model_profile, _ = shell_means(model_norm, shells, size, samples)
    used = counts > 0
    k_axis = (np.arange(size) + 0.5) * step
    ring_cc = np.interp(k_axis, stats.ring_k_invA, stats.ring_cc)
    return FitDiagnostics(
        spectrum=_scatter(data_norm, geometry, keep, spectrum.power.shape),
        model=_scatter(model_norm, geometry, keep, spectrum.power.shape),
        spectrum_pixel_A=spectrum.pixel_size_A,
        radial_frequency_invA=k_axis[used],
        radial_data=data_profile[used],
        radial_model=model_profile[used],
        radial_fit_cc=ring_cc[used],
    )
