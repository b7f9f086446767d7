"""A spectrum with the fitted Thon-ring ellipses drawn over it, as PNG bytes (for the dashboard)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from astigd.workers.ctf import Optics
from astigd.workers.ctf_zeros import flattened_log_spectrum, zero_ring_k_invA
from astigd.workers.spectrum import PowerSpectrum

FIGURE_SIZE_IN = (5.2, 5.2)
DPI = 100
RING_ORDERS = range(1, 9)
AZIMUTHS_RAD = np.linspace(-0.5 * math.pi, 0.5 * math.pi, 181)  # the right half: data stays visible
ZOOM_BEYOND_RINGS = 1.25
CONTRAST_PERCENTILES = (2.0, 99.5)


@dataclass(frozen=True)
class FittedRings:
    """What a fit says about the rings: mean defocus and astigmatism vector (nm), and a caption."""

    defocus_mean_nm: float
    astig_vec_nm: tuple[float, float]
    caption: str


def spectrum_png(spectrum: PowerSpectrum, optics: Optics, rings: FittedRings | None) -> bytes:
    """Return the PNG of the flattened spectrum (DC centred, +y up) with the fit's zero rings.

    Without rings (a fit that found no defocus) only the spectrum is drawn.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    limit_invA = _draw_image(axes, spectrum)
    if rings is not None:
        reach = _draw_rings(axes, rings, optics, limit_invA)
        zoom = min(limit_invA, ZOOM_BEYOND_RINGS * reach) if reach > 0 else limit_invA
        axes.set_xlim(-zoom, zoom)
        axes.set_ylim(-zoom, zoom)
    axes.set_title(rings.caption if rings else "no fitted defocus: no rings", fontsize=9)
    axes.set_xlabel("kx (1/Å)")
    axes.set_ylabel("ky (1/Å)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _draw_rings(axes, rings: FittedRings, optics: Optics, limit_invA: float) -> float:
    """Draw each predicted CTF zero on the right half; return the largest |k| drawn (Å⁻¹)."""
    reach = 0.0
    for order in RING_ORDERS:
        k = zero_ring_k_invA(order, rings.defocus_mean_nm, rings.astig_vec_nm, optics, AZIMUTHS_RAD)
        if np.all(np.isfinite(k)) and k.max() < limit_invA:
            x, y = k * np.cos(AZIMUTHS_RAD), k * np.sin(AZIMUTHS_RAD)
            axes.plot(x, y, color="tab:orange", linewidth=1.0)
            reach = max(reach, float(k.max()))
    return reach


def _draw_image(axes, spectrum: PowerSpectrum) -> float:
    """Draw the flattened spectrum on frequency axes; return the largest |k| shown (Å⁻¹)."""
    image = flattened_log_spectrum(spectrum)
    box, step = image.shape[0], spectrum.frequency_step_invA
    low, high = np.percentile(image, CONTRAST_PERCENTILES)
    half = box // 2
    extent = ((-half - 0.5) * step, (box - half - 0.5) * step) * 2
    axes.imshow(
        image, cmap="gray", origin="lower", extent=extent, vmin=low, vmax=high,
        interpolation="nearest",
    )  # fmt: skip
    return half * step
