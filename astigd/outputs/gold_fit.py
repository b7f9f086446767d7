"""The picture of a gold-ring fit: measured ring radii against azimuth, with the fitted ellipse.

Each ring's radius is shown relative to its mean, in per cent, so the ellipse (anisotropic
magnification) is a cos 2(φ − θ) curve. matplotlib is imported only here (Agg canvas only).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

FIGURE_SIZE_IN = (8.0, 4.5)
DPI = 100


def gold_fit_png(result: dict[str, Any]) -> bytes:
    """Return the PNG of a calibrate_magnification result's rings and fitted ellipses."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for ring in result["rings"]:
        azimuth = np.asarray(ring["azimuth_deg"])
        mean = float(np.mean(ring["fitted_radius"]))
        measured = 100.0 * (np.asarray(ring["radius_cycles_per_px"]) / mean - 1.0)
        spread = 100.0 * np.asarray(ring["radius_sd"]) / mean
        fitted = 100.0 * (np.asarray(ring["fitted_radius"]) / mean - 1.0)
        label = f"Au({ring['hkl']}) {ring['d_A']:.3f} Å"
        bars = axes.errorbar(azimuth, measured, spread, fmt="o", ms=3, label=label)
        axes.plot(azimuth, fitted, "-", color=bars[0].get_color())
    axes.set_xlabel("azimuth (degrees, counter-clockwise from +x)")
    axes.set_ylabel("ring radius − mean (%)")
    axes.legend(fontsize=8)
    figure.suptitle(_caption(result), fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _caption(result: dict[str, Any]) -> str:
    return (
        f"pixel size {result['pixel_size_A']:.4f} ± {result['pixel_size_uncertainty_A']:.4f} Å, "
        f"anisotropy {100 * result['anisotropy']:.2f} "
        f"± {100 * result['anisotropy_uncertainty']:.2f}"
        f" % at {result['angle_deg']:.1f}°"
    )
