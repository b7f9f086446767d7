"""Fit defocus and 2-fold astigmatism to a frame: 1D searches, then a local 2D refinement."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from astigd import __version__
from astigd.workers import quality
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.astigmatism import astig_from_vector, defocus_pair
from astigd.workers.ctf import Optics
from astigd.workers.diagnostics import build_diagnostics
from astigd.workers.fft import get_backend
from astigd.workers.geometry import SpectrumGeometry, spectrum_geometry
from astigd.workers.profile import TREND_DEGREE, equivalent_k, log_trend, shell_means
from astigd.workers.radial import (
    RadialFit,
    box_for_rings,
    defocus_grid_nm,
    resolvable,
    search_mean_defocus,
)
from astigd.workers.refine import PhaseModel, Refinement, RingData, refine
from astigd.workers.results import CtfFit
from astigd.workers.sectors import initial_astigmatism
from astigd.workers.spectrum import (
    MIN_BOX_PX,
    InvalidFrameError,
    PowerSpectrum,
    choose_box_px,
    estimate_power_spectrum,
    stack_shapes,
    tile_count,
)

ESTIMATOR = "astigd-ctf"
DEFAULT_MAX_RES_A = 4.0
NYQUIST_FRACTION = 0.9
COARSE_PASS_SAMPLES = 6000
COARSE_SHELL_BOX_PX = 1024  # the whole-range search bins larger boxes' profiles to this box's
PROBE_TILES_PER_AXIS = 4
# A square frame that fits in one box is one tile: the longest box keeps the most ring contrast
# where the CTF delocalizes signal far (high defocus and frequency), and a thin taper keeps
# nearly every pixel. Measured with bench/fit.py: at 1024², Tukey 0.05 beats 0.1 and 0.2 (with
# 0.02 or none, one high-defocus frame of seed 11 fell into a wrong basin); at 4096², the whole
# frame beats 64 tiles of 512² (Tukey 0.2) and 16 of 1024².
FRAME_TAPER_FRACTION = 0.05
MIN_ONE_BOX_PX = 1024  # smaller frames keep one Tukey-0.2 tile and level weights (_measured_size)
MIN_EXPECTED_FRACTION = 0.1  # floor of the expected power at a zero, against a poor background
# The final pass measures the ring envelope along the rings it starts from. When a coarse pass
# ended in a wrong basin, the final refinement may still find the right one, but with an envelope
# measured along the wrong rings (a low score and an inflated uncertainty): measure it again
# there. SAME_RINGS_NM is how far (defocus or an astigmatism component) counts as "there".
ENVELOPE_UPDATES = 4
SAME_RINGS_NM = 20.0


@dataclass(frozen=True)
class FitSettings:
    """What to search and how: resolution band, defocus range, restraint and gates."""

    box_px: int = 512
    min_res_A: float = 30.0
    max_res_A: float | None = None
    defocus_min_nm: float = 200.0
    defocus_max_nm: float = 8000.0
    max_astig_nm: float = 2000.0
    astig_restraint_nm: float | None = 1000.0
    max_astig_uncertainty_nm: float = 15.0
    expected_astig_nm: float = 300.0
    max_box_px: int = 4096
    fft_backend: str | None = None
    fft_threads: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.defocus_min_nm < self.defocus_max_nm:
            raise ValueError("need 0 < defocus_min_nm < defocus_max_nm")
        if self.max_res_A is not None and not 0 < self.max_res_A < self.min_res_A:
            raise ValueError("need 0 < max_res_A < min_res_A")
        if self.box_px < 64 or self.box_px % 2:
            raise ValueError("box_px must be even and at least 64")

    def band_invA(self, pixel_size_A: float) -> tuple[float, float]:
        """Return the (k_min, k_max) fitting band, k_max capped below Nyquist."""
        nyquist_cap = NYQUIST_FRACTION / (2.0 * pixel_size_A)
        wanted = 1.0 / (self.max_res_A or DEFAULT_MAX_RES_A)
        return 1.0 / self.min_res_A, min(wanted, nyquist_cap)


def fit_frame(
    frame: np.ndarray,
    optics: Optics,
    settings: FitSettings | None = None,
    aniso: AnisoMag | None = None,
    diagnostics: bool = False,
) -> CtfFit:
    """Estimate the power spectrum of a frame and fit its CTF; time it all."""
    settings = settings or FitSettings()
    started = time.perf_counter()
    backend = get_backend(settings.fft_backend, settings.fft_threads)
    if _one_box(np.shape(frame), settings):
        spectrum = estimate_power_spectrum(
            frame, optics.pixel_size_A, settings.max_box_px, backend, 1, FRAME_TAPER_FRACTION
        )
        coarse = _coarse_search(spectrum, optics, settings, aniso)
    else:
        spectrum, coarse = _tiled_spectrum(frame, optics, settings, aniso, backend)
    fit = fit_spectrum(spectrum, optics, settings, aniso, diagnostics, coarse)
    return replace(fit, elapsed_ms=(time.perf_counter() - started) * 1e3)


def _one_box(shape: tuple[int, ...], settings: FitSettings) -> bool:
    """Return whether the frame is one tile: square, no larger than a box, and large enough."""
    side = max(shape)
    return min(shape) >= MIN_ONE_BOX_PX and choose_box_px(shape, settings.max_box_px) >= side


def fft_shapes(
    frame_shape: tuple[int, int], settings: FitSettings | None = None
) -> set[tuple[int, int, int]]:
    """Return every (tiles, box, box) FFT stack a fit of a frame of this shape may plan.

    A tiled frame's box depends on its defocus (`box_for_rings`): the probe box doubled until
    max_box_px or the frame's side, so each of those boxes is included.
    """
    settings = settings or FitSettings()
    if len(frame_shape) != 2 or min(frame_shape) < MIN_BOX_PX:
        raise ValueError(f"frame shape {frame_shape} is not a 2D frame of at least {MIN_BOX_PX} px")
    if _one_box(frame_shape, settings):
        return stack_shapes(frame_shape, settings.max_box_px, 1)
    shapes = stack_shapes(frame_shape, settings.box_px, PROBE_TILES_PER_AXIS)
    probe_box = choose_box_px(frame_shape, settings.box_px)
    largest = min(settings.max_box_px, min(frame_shape))
    box = probe_box
    while True:
        box_used = min(box, largest)
        shapes |= stack_shapes(frame_shape, box_used)
        if box_used >= largest:
            return shapes
        box *= 2


def _tiled_spectrum(frame, optics, settings, aniso, backend) -> tuple[PowerSpectrum, _Coarse]:
    """Return the spectrum of a frame one box cannot cover, and the mean-defocus search on it.

    A probe spectrum from a few tiles gives the mean defocus, which sets the box: the smallest
    that samples the rings at the band's edge (up to max_box_px). The full spectrum is then
    estimated once with that box.
    """
    pixel = optics.pixel_size_A
    probe = estimate_power_spectrum(frame, pixel, settings.box_px, backend, PROBE_TILES_PER_AXIS)
    coarse = _coarse_search(probe, optics, settings, aniso)
    largest_defocus = coarse.radial.defocus_nm + 0.5 * settings.expected_astig_nm
    box = box_for_rings(largest_defocus, coarse.geometry.k_max_invA, optics, probe.box_px)
    box = min(box, settings.max_box_px, min(np.shape(frame)))
    if box == probe.box_px and tile_count(np.shape(frame), box) == probe.n_tiles:
        return probe, coarse
    spectrum = estimate_power_spectrum(frame, pixel, box, backend)
    return spectrum, _coarse_search(spectrum, optics, settings, aniso, coarse.radial.defocus_nm)


@dataclass(frozen=True)
class _Coarse:
    geometry: SpectrumGeometry
    values: np.ndarray
    trials: np.ndarray
    radial: RadialFit


def _coarse_search(spectrum, optics, settings, aniso, around_nm: float | None = None) -> _Coarse:
    """Search the mean defocus over the whole range, or near a previous estimate."""
    band = settings.band_invA(optics.pixel_size_A)
    geometry = spectrum_geometry(spectrum.box_px, optics.pixel_size_A, *band, aniso)
    values = _flatten_trend(spectrum, geometry)
    low, high = settings.defocus_min_nm, settings.defocus_max_nm
    if around_nm is not None:
        margin = 0.5 * settings.max_astig_nm + 300.0
        low, high = max(low, around_nm - margin), min(high, around_nm + margin)
    trials = defocus_grid_nm(low, high, geometry.k_max_invA, optics)
    width = max(1, spectrum.box_px // COARSE_SHELL_BOX_PX)
    radial = _radial_search(
        values, spectrum.n_tiles, geometry, geometry.k_invA, trials, optics, width
    )
    return _Coarse(geometry, values, trials, radial)


def fit_spectrum(
    spectrum: PowerSpectrum,
    optics: Optics,
    settings: FitSettings | None = None,
    aniso: AnisoMag | None = None,
    diagnostics: bool = False,
    coarse: _Coarse | None = None,
) -> CtfFit:
    """Fit mean defocus by a 1D search, astigmatism by sector searches, then refine in 2D."""
    settings = settings or FitSettings()
    started = time.perf_counter()
    coarse = coarse or _coarse_search(spectrum, optics, settings, aniso)
    geometry, values, trials = coarse.geometry, coarse.values, coarse.trials
    window = 0.5 * settings.max_astig_nm + 100.0
    local = trials[np.abs(trials - coarse.radial.defocus_nm) <= window]
    sector_start = initial_astigmatism(
        values, spectrum.n_tiles, geometry, coarse.radial, local, optics
    )
    starts = [sector_start, (coarse.radial.defocus_nm, 0.0, 0.0)]
    passes = [
        _refine_pass(values, spectrum, geometry, coarse.radial, None, start, optics, settings, True)
        for start in starts
    ]
    plausible = [p for p in passes if _in_search_range(p.params, settings)] or passes
    start = min(plausible, key=lambda p: p.refinement.cost).params[:3]
    final = _final_pass(values, spectrum, geometry, start, optics, settings)
    for _ in range(ENVELOPE_UPDATES):
        if _same_rings(final.params[:3], start):
            break
        start = final.params[:3]
        final = _final_pass(values, spectrum, geometry, start, optics, settings)
    return _result(final, spectrum, geometry, optics, settings, trials, started, aniso, diagnostics)


def _in_search_range(params: np.ndarray, settings: FitSettings) -> bool:
    """Return whether a pass ended inside the defocus and astigmatism search ranges."""
    astig_nm = math.hypot(params[1], params[2])
    return settings.defocus_min_nm <= params[0] <= settings.defocus_max_nm and (
        astig_nm <= settings.max_astig_nm
    )


def _final_pass(values, spectrum, geometry, start, optics, settings) -> _Pass:
    """Measure the ring envelope along the rings of `start`, then refine from there."""
    defocus_map = _azimuthal_defocus(geometry, start)
    k_equiv = equivalent_k(geometry.k2_invA2, defocus_map, start[0], optics)
    fine = np.linspace(start[0] - 25.0, start[0] + 25.0, 11)
    radial = _radial_search(values, spectrum.n_tiles, geometry, k_equiv, fine, optics)
    return _refine_pass(values, spectrum, geometry, radial, k_equiv, start, optics, settings, False)


def _same_rings(params: np.ndarray, start: np.ndarray) -> bool:
    """Return whether the refinement stayed near its start, so the envelope measured there holds."""
    return bool(np.max(np.abs(np.asarray(params) - np.asarray(start))) <= SAME_RINGS_NM)


def _flatten_trend(spectrum: PowerSpectrum, geometry: SpectrumGeometry) -> np.ndarray:
    raw = geometry.cell_means(spectrum.power.ravel()[geometry.flat_index])
    means, counts = shell_means(raw, geometry.radial_bin, len(geometry.bin_count), geometry.count)
    if np.count_nonzero(means > 0) <= TREND_DEGREE:
        raise InvalidFrameError("the frame has no power in the fitting band: nothing to fit")
    trend = log_trend(geometry.bin_k_invA, means, counts)
    return raw / np.exp(np.polyval(trend, geometry.k_invA))


def _radial_search(values, n_tiles, geometry, k_invA, trials, optics, width=1) -> RadialFit:
    """Search the mean defocus on the radial profile in shells `width` samples wide."""
    step = width * geometry.step_invA
    shells = np.clip(np.floor((k_invA - geometry.k_min_invA) / step).astype(np.intp), 0, None)
    size = shells.max() + 1
    means, counts = shell_means(values, shells, size, geometry.count)
    bin_k = shell_means(k_invA, shells, size, geometry.count)[0]
    used = counts > 0
    basis = geometry.spline_basis(bin_k[used])
    weight = counts[used] * float(n_tiles)
    return search_mean_defocus(means[used], weight, bin_k[used], basis, trials, optics, step)


def _azimuthal_defocus(geometry: SpectrumGeometry, params: np.ndarray) -> np.ndarray:
    return params[0] + 0.5 * (params[1] * geometry.cos2phi + params[2] * geometry.sin2phi)


@dataclass(frozen=True)
class _Pass:
    refinement: Refinement
    data: RingData
    phase_model: PhaseModel
    keep: np.ndarray

    @property
    def params(self) -> np.ndarray:
        return self.refinement.params


def _refine_pass(
    values, spectrum, geometry, radial, k_equiv, start, optics, settings, coarse_pass
) -> _Pass:
    k_model = geometry.k_invA if k_equiv is None else k_equiv
    largest_defocus = start[0] + 0.5 * math.hypot(start[1], start[2])
    keep = resolvable(geometry.k_invA, largest_defocus, optics, geometry.step_invA)
    if coarse_pass:  # a first pass only has to reach the basin: a subsample is enough
        stride = max(1, int(keep.sum()) // COARSE_PASS_SAMPLES)
        keep[np.arange(len(keep)) % stride != 0] = False
    phase_model = PhaseModel(geometry, optics, keep)
    ring_envelope, rings = k_equiv is not None, None
    if ring_envelope and _measured_size(spectrum):
        rings = np.sin(phase_model.phase(*start[:3])) ** 2 - 0.5
    data = _ring_data(
        values, geometry, radial, k_model, spectrum.n_tiles, keep, ring_envelope, rings
    )
    tolerance_nm = 0.5 if coarse_pass else 0.01
    refinement = refine(data, phase_model, tuple(start), settings.astig_restraint_nm, tolerance_nm)
    return _Pass(refinement, data, phase_model, keep)


def _measured_size(spectrum: PowerSpectrum) -> bool:
    """Return whether the spectrum covers a 1024² frame or more, for the expected-power weights.

    They were measured on such frames (bench/fit.py); on 512² frames, calibration probes with
    ~1 µm of astigmatism sometimes failed to converge with them, so those keep level weights.
    """
    return spectrum.n_tiles * spectrum.box_px**2 >= MIN_ONE_BOX_PX**2


def _ring_data(values, geometry, radial, k_model, n_tiles, keep, ring_envelope, rings) -> RingData:
    """Prepare samples and their noise, which follows the expected power as a periodogram's does.

    Without a ring envelope yet, assume rings and noise scale with the mean level. With it, the
    noise is the mean level, or, given the rings at the start (sin²chi − ½), the expected power
    with the rings: smaller at the zeros.
    """
    k_kept = k_model[keep]
    background = geometry.smooth_curve(radial.background, k_kept)
    envelope = geometry.smooth_curve(radial.envelope, k_kept)
    level = np.maximum(background + 0.5 * envelope, 1e-6)
    envelope = np.maximum(envelope, 0.0) if ring_envelope else level
    expected = level
    if rings is not None:
        expected = np.maximum(level + envelope * rings, MIN_EXPECTED_FRACTION * level)
    sigma = expected / np.sqrt(n_tiles * geometry.count[keep])
    return RingData(values[keep], level, envelope, sigma)


def _result(
    final: _Pass, spectrum, geometry, optics, settings, trials, started, aniso, diagnostics
):
    mean, astig_x, astig_y, scale = (float(v) for v in final.params)
    data, keep = final.data, final.keep
    chi = final.phase_model.phase(mean, astig_x, astig_y)
    centred = data.values - data.mean_level
    model = scale * data.envelope * (np.sin(chi) ** 2 - 0.5)
    defocus_map = _azimuthal_defocus(geometry, final.params)[keep]
    k_equiv = equivalent_k(geometry.k2_invA2[keep], defocus_map, mean, optics)
    counts = geometry.count[keep]
    stats = quality.ring_statistics(chi, k_equiv, centred, model, data.sigma**-2, counts)
    normal, residual = final.refinement.normal_matrix, final.refinement.residual
    covariance = quality.parameter_covariance(normal, residual)
    astig_sigma = math.sqrt(covariance[1, 1] + covariance[2, 2])
    astig, angle = astig_from_vector(astig_x, astig_y)
    pair = defocus_pair(mean, astig, angle)
    grid_step = trials[1] - trials[0]
    inside = settings.defocus_min_nm + grid_step <= mean <= settings.defocus_max_nm - grid_step
    at_edge = not inside
    reason = quality.unreliable_reason(
        stats,
        astig_sigma,
        settings.max_astig_uncertainty_nm,
        at_edge,
        final.refinement.converged,
        quality.noise_scatter(normal, residual),
    )
    if reason is None and (scale <= 0 or astig > settings.max_astig_nm):
        reason = "the fitted rings are not physical (negative contrast or astigmatism out of range)"
    parameters = {"optics": asdict(optics), "settings": asdict(settings),
                  "aniso": asdict(aniso) if aniso else None, "box_px": spectrum.box_px,
                  "n_tiles": spectrum.n_tiles, "rings_fitted": stats.rings_fitted,
                  "significance": round(stats.significance, 2)}  # fmt: skip
    extra = None
    if diagnostics:
        extra = build_diagnostics(
            spectrum, geometry, keep, centred, model, data.envelope * scale, k_equiv, stats
        )
    return CtfFit(
        defocus1_nm=pair.defocus1_nm, defocus2_nm=pair.defocus2_nm, angle_deg=pair.angle_deg,
        astig_nm=astig, astig_x_nm=astig_x, astig_y_nm=astig_y, astig_uncertainty_nm=astig_sigma,
        defocus_mean_nm=mean, defocus_uncertainty_nm=math.sqrt(covariance[0, 0]),
        phase_shift_deg=optics.phase_shift_deg, score=stats.score, resolution_A=stats.resolution_A,
        reliable=reason is None, reason=reason, elapsed_ms=(time.perf_counter() - started) * 1e3,
        estimator=ESTIMATOR, version=__version__, parameters=parameters, diagnostics=extra,
    )  # fmt: skip
