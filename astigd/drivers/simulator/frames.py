"""The simulated camera: synthesize a counting-detector frame of a weak-phase specimen.

Image formation (weak-phase approximation, CTFFIND sign conventions, DESIGN.md §2):
the frame's Fourier transform is 2·ctf(k)·E(k)·Phi(k)·MTF(k), where Phi is the specimen's
random phase, ctf = −sin chi (amplitude contrast enters chi as asin Q), E the lens envelopes
and MTF the detector's. Lens terms and the specimen are evaluated at the physical frequencies
a frame frequency samples, k_phys = S·k_frame (anisotropic magnification); the detector MTF at
the frame frequencies. Expected counts are dose·pixel²·intensity; counts are Poisson. The field
is synthesized on a larger padded grid and cropped, so the frame is not periodic. A beam-tilt
image shift moves the image within the padded field (a Fourier phase ramp), so shifts smaller
than the padding margin bring in specimen from outside the frame, as on a real scope.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.fft

from astigd.drivers.simulator.specimens import Specimen, specimen_named
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.astigmatism import astig_vector_nm
from astigd.workers.ctf import Optics, ctf_phase, defocus_at_azimuth_A

FFT_WORKERS = -1  # all cores
RNG_BANDS = 8  # row bands drawn from their own spawned streams; fixed, so frames stay seeded
TRANSFER_ROWS = 64  # rows per band when applying the transfer: cache-sized, run in threads


@dataclass(frozen=True)
class Exposure:
    """What the camera sees in one frame: optics, lens state, dose, envelopes and detector.

    Defaults describe a 300 kV FEG microscope with a counting detector:
    - illumination_semi_angle_mrad 0.01: near-parallel illumination of a FEG (0.005–0.03 mrad);
      the spatial-coherence envelope exp(−(π·α/λ)²·k²·(Cs·λ³·k² − df·λ)²) is then ≈ 0.93 at
      2 Å and 2 µm defocus.
    - focal_spread_nm 3.0: rms focal spread for Cc ≈ 2.7 mm and a 0.7–0.8 eV energy spread at
      300 kV; the temporal envelope exp(−½(π·λ·Δ·k²)²) is ≈ 0.95 at 2.5 Å.
    - b_factor_A2 60: overall blur (drift, beam-induced motion, charging) of a good frame,
      amplitude envelope exp(−B·k²/4); typical values are 50–100 Å².
    - detector_blur_at_nyquist 0.95: Gaussian charge-spread factor at Nyquist. With the pixel
      aperture's sinc (2/π at Nyquist), the MTF at Nyquist is ≈ 0.6, as for a counting camera.
      Shot noise stays white, as it does for a counting detector.
    """

    optics: Optics
    defocus_mean_nm: float
    astig_nm: float = 0.0
    angle_deg: float = 0.0
    dose_e_per_A2: float = 20.0
    aniso: AnisoMag | None = None
    illumination_semi_angle_mrad: float = 0.01
    focal_spread_nm: float = 3.0
    b_factor_A2: float = 60.0
    detector_blur_at_nyquist: float = 0.95
    shift_px: tuple[float, float] = (0.0, 0.0)  # image shift (x, y) in frame pixels

    def __post_init__(self) -> None:
        if not self.dose_e_per_A2 > 0:
            raise ValueError(f"dose_e_per_A2 must be positive, got {self.dose_e_per_A2}")
        for name in ("illumination_semi_angle_mrad", "focal_spread_nm", "b_factor_A2"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        if not 0 < self.detector_blur_at_nyquist <= 1:
            raise ValueError(
                f"detector_blur_at_nyquist must be in (0, 1], got {self.detector_blur_at_nyquist}"
            )

    @property
    def counts_per_pixel(self) -> float:
        """Return the expected electron count per pixel of uniform illumination."""
        return self.dose_e_per_A2 * self.optics.pixel_size_A**2


def synthesize_frame(
    exposure: Exposure,
    shape: tuple[int, int] = (1024, 1024),
    specimen: str = "carbon",
    rng: np.random.Generator | int = 0,
    area: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Synthesize one frame in electron counts per pixel (float32, rows = y, columns = x).

    `area` seeds the specimen area (the same area gives the same specimen); without it the area
    is drawn from `rng`, which also draws the shot noise.
    """
    if len(shape) != 2 or min(shape) < 2:
        raise ValueError(f"shape must be two sizes of at least 2, got {shape}")
    sample = specimen_named(specimen)
    gen = np.random.default_rng(rng)
    area_gen = gen if area is None else np.random.default_rng(area)
    expected = np.full(shape, exposure.counts_per_pixel, dtype=np.float32)
    if not sample.is_vacuum:
        expected *= _intensity(exposure, sample, shape, area_gen)
    return _shot_noise(expected, gen)


def _intensity(
    exposure: Exposure, sample: Specimen, shape: tuple[int, int], gen: np.random.Generator
) -> np.ndarray:
    """Return the noiseless image intensity (1 = vacuum), cropped from a padded field."""
    padded = _padded_shape(shape)
    spectrum = scipy.fft.rfft2(_white_noise(padded, gen), workers=FFT_WORKERS)
    _apply_transfer(spectrum, exposure, sample, padded[1])
    contrast = scipy.fft.irfft2(spectrum, s=padded, workers=FFT_WORKERS)
    return np.maximum(contrast[: shape[0], : shape[1]] + 1.0, 0.0)


def contrast_power(
    exposure: Exposure, shape: tuple[int, int], specimen: str = "carbon"
) -> np.ndarray:
    """Return the expected contrast power per DFT sample of the periodic field a frame is cut from.

    Full (not half) plane, frequencies by fftfreq; its inverse DFT is the contrast's covariance.
    """
    padded = _padded_shape(shape)
    fy = np.fft.fftfreq(padded[0])[:, None]
    fx = np.fft.fftfreq(padded[1])[None, :]
    sample = specimen_named(specimen)
    transfer = _image_transfer(exposure, sample, fx, fy, _frequency_map(exposure.aniso))
    power = transfer * transfer
    power[0, 0] = 0.0
    return power


def _padded_shape(shape: tuple[int, int]) -> tuple[int, int]:
    """Return a fast FFT size with a margin that holds the CTF's delocalized signal."""
    return tuple(scipy.fft.next_fast_len(n + max(64, n // 8), real=True) for n in shape)


def _white_noise(shape: tuple[int, int], gen: np.random.Generator) -> np.ndarray:
    """Return unit-variance float32 Gaussian noise, drawn band by band in parallel."""
    noise = np.empty(shape, dtype=np.float32)

    def draw(rows: slice, stream: np.random.Generator) -> None:
        stream.standard_normal(out=noise[rows], dtype=np.float32)

    _in_threads(draw, _row_bands(shape[0], RNG_BANDS), gen.spawn(RNG_BANDS))
    return noise


def _shot_noise(expected: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Return Poisson counts (float32) for the expected counts, drawn band by band in parallel."""
    counts = np.empty_like(expected)

    def draw(rows: slice, stream: np.random.Generator) -> None:
        counts[rows] = stream.poisson(expected[rows].astype(np.float64))

    _in_threads(draw, _row_bands(expected.shape[0], RNG_BANDS), gen.spawn(RNG_BANDS))
    return counts


def _apply_transfer(
    spectrum: np.ndarray, exposure: Exposure, sample: Specimen, n_cols: int
) -> None:
    """Multiply a half-plane (rfft2) spectrum in place by the image transfer, in row bands."""
    fy = np.fft.fftfreq(spectrum.shape[0]).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(n_cols).astype(np.float32)[None, :]
    scale = _frequency_map(exposure.aniso)

    def apply(rows: slice) -> None:
        spectrum[rows] *= _image_transfer(exposure, sample, fx, fy[rows], scale)

    n_bands = -(-spectrum.shape[0] // TRANSFER_ROWS)
    _in_threads(apply, _row_bands(spectrum.shape[0], n_bands))
    if any(exposure.shift_px):
        dx, dy = exposure.shift_px
        spectrum *= np.exp(-2j * np.pi * (fx * dx + fy * dy)).astype(spectrum.dtype)
    spectrum[0, 0] = 0.0


def _frequency_map(aniso: AnisoMag | None) -> np.ndarray | None:
    """Return S of k_phys = S·k_frame in float32, read off aniso's own (linear) map."""
    if aniso is None:
        return None
    unit_x, unit_y = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    return np.array(aniso.physical_frequencies(unit_x, unit_y), dtype=np.float32)


def _image_transfer(
    exposure: Exposure,
    sample: Specimen,
    fx: np.ndarray,
    fy: np.ndarray,
    scale: np.ndarray | None,
) -> np.ndarray:
    """Return the real transfer from unit white noise to image contrast at fx, fy (cycles/px)."""
    pixel_A = exposure.optics.pixel_size_A
    kx, ky = fx / pixel_A, fy / pixel_A
    if scale is not None:
        kx, ky = scale[0, 0] * kx + scale[0, 1] * ky, scale[1, 0] * kx + scale[1, 1] * ky
    k2 = kx * kx + ky * ky
    transfer = _lens_transfer(exposure, kx, ky, k2)
    transfer *= np.sqrt(sample.phase_psd(k2))
    transfer *= _detector_mtf(fx, fy, exposure.detector_blur_at_nyquist) / pixel_A
    return transfer


def _lens_transfer(
    exposure: Exposure, kx: np.ndarray, ky: np.ndarray, k2: np.ndarray
) -> np.ndarray:
    """Return 2·ctf·E_spatial·E_temporal·E_B at physical frequencies (Å⁻¹)."""
    inv_k2 = np.divide(1.0, k2, out=np.zeros_like(k2), where=k2 > 0)
    astig_x_nm, astig_y_nm = astig_vector_nm(exposure.astig_nm, exposure.angle_deg)
    cos2phi, sin2phi = (kx * kx - ky * ky) * inv_k2, 2.0 * kx * ky * inv_k2
    defocus_A = defocus_at_azimuth_A(
        exposure.defocus_mean_nm, astig_x_nm, astig_y_nm, cos2phi, sin2phi
    )
    transfer = np.sin(ctf_phase(k2, defocus_A, exposure.optics))
    transfer *= np.exp(-_envelope_exponent(exposure, k2, defocus_A))
    transfer *= -2.0  # 2·ctf with ctf = −sin chi
    return transfer


def _envelope_exponent(exposure: Exposure, k2: np.ndarray, defocus_A: np.ndarray) -> np.ndarray:
    """Return −ln of the spatial, temporal and B-factor envelopes combined."""
    optics = exposure.optics
    lam = optics.wavelength_A
    alpha = exposure.illumination_semi_angle_mrad * 1e-3
    gradient = optics.cs_A * lam**3 * k2 - defocus_A * lam  # (dchi/dk)/(2π·k)
    spatial = (math.pi * alpha / lam) ** 2 * k2 * gradient * gradient
    temporal = 0.5 * (math.pi * lam * exposure.focal_spread_nm * 10.0) ** 2 * k2 * k2
    return spatial + temporal + 0.25 * exposure.b_factor_A2 * k2


def _detector_mtf(fx: np.ndarray, fy: np.ndarray, blur_at_nyquist: float) -> np.ndarray:
    """Return the counting detector's MTF at frame frequencies in cycles/pixel."""
    log_blur = 4.0 * math.log(blur_at_nyquist)
    along_x = np.sinc(fx) * np.exp(log_blur * fx * fx)
    along_y = np.sinc(fy) * np.exp(log_blur * fy * fy)
    return along_x * along_y


def _row_bands(n_rows: int, n_bands: int) -> list[slice]:
    """Split n_rows into n_bands contiguous, nearly equal row slices."""
    edges = np.linspace(0, n_rows, n_bands + 1).astype(int)
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _in_threads(work: Callable[..., None], *arguments: Iterable) -> None:
    """Call work on zipped arguments in a thread per core (numpy releases the GIL)."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(work, *arguments))
