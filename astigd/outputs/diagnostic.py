"""The diagnostic picture of a CTF fit: spectrum beside its model, and the 1D profile.

Left panel: the normalised power spectrum, data in the left half and the fitted model in the
right half (DC at the centre, +y up, so angles run counter-clockwise as in DESIGN.md §2); the
dashed circle marks the resolution up to which rings were fitted. Right panel: the rotational
(elliptical) average of the data, the fitted model and the per-shell fit correlation.
matplotlib is imported only here, and only the Agg canvas is used (no pyplot, no display).
"""

from __future__ import annotations

import math
import os

import numpy as np

from astigd.workers.results import CtfFit, FitDiagnostics

FIGURE_SIZE_IN = (11.0, 4.8)
DPI = 100
CONTRAST_PERCENTILES = (1.0, 99.0)


def write_diagnostic_png(path: str | os.PathLike, fit: CtfFit, label: str = "") -> None:
    """Write the two-panel diagnostic PNG of a fit made with diagnostics=True."""
    if fit.diagnostics is None:
        raise ValueError("the fit carries no diagnostics: fit with diagnostics=True")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    spectrum_axes, profile_axes = figure.subplots(1, 2, width_ratios=[1.0, 1.3])
    draw_spectrum(spectrum_axes, fit.diagnostics, fit.resolution_A)
    draw_profile(profile_axes, fit.diagnostics, fit.resolution_A)
    figure.suptitle(summary_text(fit, label), fontsize=10)
    figure.savefig(os.fspath(path), format="png")


def summary_text(fit: CtfFit, label: str = "") -> str:
    """Return a two-line caption with the fitted values and the verdict."""
    verdict = "reliable" if fit.reliable else f"UNRELIABLE: {fit.reason or 'no reason given'}"
    values = (
        f"defocus {fit.defocus1_nm:.1f} / {fit.defocus2_nm:.1f} nm at {fit.angle_deg:.1f}°, "
        f"astigmatism {fit.astig_nm:.1f} ± {fit.astig_uncertainty_nm:.1f} nm, "
        f"score {fit.score:.3f}, fitted to {fit.resolution_A:.1f} Å"
    )
    return f"{label}  ({verdict})\n{values}" if label else f"{verdict}\n{values}"


def split_image(data: np.ndarray, model: np.ndarray) -> np.ndarray:
    """Return data in the left half and model in the right, each stretched to [0, 1]."""
    columns = data.shape[1]
    combined = _stretch(data)
    combined[:, columns // 2 :] = _stretch(model)[:, columns // 2 :]
    return combined


def draw_spectrum(axes, diagnostics: FitDiagnostics, resolution_A: float) -> None:
    """Draw the data|model spectrum on frequency axes in Å⁻¹."""
    image = split_image(diagnostics.spectrum, diagnostics.model)
    rows, columns = image.shape
    step_x, step_y = (1.0 / (n * diagnostics.spectrum_pixel_A) for n in (columns, rows))
    extent = (
        (-(columns // 2) - 0.5) * step_x,
        (columns - columns // 2 - 0.5) * step_x,
        (-(rows // 2) - 0.5) * step_y,
        (rows - rows // 2 - 0.5) * step_y,
    )
    axes.imshow(image, cmap="gray", origin="lower", extent=extent, interpolation="nearest")
    if _within(resolution_A, extent[1]):
        axes.add_patch(_circle(1.0 / resolution_A))
    radius = 1.05 * _band_radius(diagnostics.spectrum, step_x, step_y)
    if radius > 0:
        axes.set_xlim(max(-radius, extent[0]), min(radius, extent[1]))
        axes.set_ylim(max(-radius, extent[2]), min(radius, extent[3]))
    axes.set_title("data  |  fitted model", fontsize=9)
    axes.set_xlabel("kx (1/Å)")
    axes.set_ylabel("ky (1/Å)")


def draw_profile(axes, diagnostics: FitDiagnostics, resolution_A: float) -> None:
    """Draw the 1D average of data and model with the per-shell fit correlation."""
    k = diagnostics.radial_frequency_invA
    axes.plot(k, diagnostics.radial_data, color="0.35", linewidth=0.8, label="data")
    axes.plot(k, diagnostics.radial_model, color="tab:red", linewidth=1.0, label="CTF fit")
    axes.plot(k, diagnostics.radial_fit_cc, color="tab:blue", linewidth=1.0, label="fit CC")
    if _within(resolution_A, float(np.max(k, initial=0.0))):
        axes.axvline(1.0 / resolution_A, color="tab:green", linestyle="--", linewidth=0.8)
        label = f" {resolution_A:.1f} Å"
        transform = axes.get_xaxis_transform()  # x in data units, y in axes fraction
        axes.text(1.0 / resolution_A, 0.02, label, transform=transform, color="tab:green")
    axes.set_ylim(*_profile_limits(diagnostics))
    axes.set_xlabel("spatial frequency (1/Å)")
    axes.set_ylabel("normalised power, correlation")
    axes.legend(loc="upper right", fontsize=8)


def _stretch(image: np.ndarray) -> np.ndarray:
    """Map the central percentile range of the fitted band onto [0, 1]; the rest to 0."""
    in_band = np.isfinite(image) & (image != 0)
    if not in_band.any():
        return np.zeros(image.shape)
    low, high = np.percentile(image[in_band], CONTRAST_PERCENTILES)
    span = high - low if high > low else 1.0
    return np.clip(np.where(in_band, (image - low) / span, 0.0), 0.0, 1.0)


def _band_radius(spectrum: np.ndarray, step_x: float, step_y: float) -> float:
    """Return the largest |k| (Å⁻¹) of the fitted band: the samples that are not blank."""
    rows, columns = np.nonzero(np.isfinite(spectrum) & (spectrum != 0))
    if rows.size == 0:
        return 0.0
    ky = (rows - spectrum.shape[0] // 2) * step_y
    kx = (columns - spectrum.shape[1] // 2) * step_x
    return float(np.sqrt(np.max(kx * kx + ky * ky)))


def _profile_limits(diagnostics: FitDiagnostics) -> tuple[float, float]:
    """Return y limits that show the model, the correlation and the bulk of the data."""
    curves = [diagnostics.radial_model, diagnostics.radial_fit_cc, [0.0, 1.0]]
    data = diagnostics.radial_data[np.isfinite(diagnostics.radial_data)]
    if data.size:
        curves.append(np.percentile(data, CONTRAST_PERCENTILES))
    values = np.concatenate([np.ravel(curve) for curve in curves])
    values = values[np.isfinite(values)]
    return float(values.min()) - 0.1, float(values.max()) + 0.1


def _within(resolution_A: float, max_frequency_invA: float) -> bool:
    """Return whether 1/resolution is a finite frequency inside the plotted range."""
    if not (math.isfinite(resolution_A) and resolution_A > 0):
        return False
    return 1.0 / resolution_A <= max_frequency_invA


def _circle(radius_invA: float):
    """Return a dashed circle patch of the given radius around the origin."""
    from matplotlib.patches import Circle

    style = {"fill": False, "color": "tab:green", "linestyle": "--", "linewidth": 0.8}
    return Circle((0.0, 0.0), radius_invA, **style)
