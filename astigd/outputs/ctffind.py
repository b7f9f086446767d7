"""CTFFIND 4's 7-column results text, so pipelines that read CTFFIND output can read ours.

Five '#' header lines as CTFFIND 4.1 writes them (RELION takes pixel size, kV, Cs and amplitude
contrast from whitespace-separated words 3, 8, 13 and 18 of the "acceleration voltage" line and
reads results from the line after "Columns:"; other readers skip the five '#' lines), then one
row per micrograph: number, defocus 1 [Å], defocus 2 [Å], azimuth of astigmatism [°],
additional phase shift [rad], cross correlation, and the spacing up to which CTF rings were fit
successfully [Å]. Like CTFFIND, the "min. def./max. def." fields hold Å despite their "um" label.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from astigd import __version__
from astigd.workers.ctf import Optics
from astigd.workers.results import CtfFit

CTFFIND_FORMAT_VERSION = "4.1.14"
COLUMNS_LINE = (
    "# Columns: #1 - micrograph number; #2 - defocus 1 [Angstroms]; #3 - defocus 2; "
    "#4 - azimuth of astigmatism; #5 - additional phase shift [radians]; "
    "#6 - cross correlation; #7 - spacing (in Angstroms) up to which CTF rings were fit "
    "successfully"
)
HEADER_LINES = 5
N_COLUMNS = 7


@dataclass(frozen=True)
class CtffindRun:
    """What CTFFIND's header records about a run besides the optics."""

    box_px: int
    min_res_A: float
    max_res_A: float
    min_defocus_A: float
    max_defocus_A: float


def header_lines(
    files: Sequence[str], optics: Optics, run: CtffindRun, estimator: str, run_at: datetime
) -> list[str]:
    """Return CTFFIND 4's five header comment lines for these files, optics and limits."""
    stamp = run_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    writer = f"{CTFFIND_FORMAT_VERSION}-compatible writer of astigd {__version__} ({estimator})"
    return [
        f"# Output from CTFFind version {writer}, run on {stamp}",
        f"# Input file: {', '.join(files)} ; Number of micrographs: {len(files)}",
        f"# Pixel size: {optics.pixel_size_A:0.3f} Angstroms ; acceleration voltage: "
        f"{optics.kv:0.1f} keV ; spherical aberration: {optics.cs_mm:0.2f} mm ; "
        f"amplitude contrast: {optics.amplitude_contrast:0.2f}",
        f"# Box size: {run.box_px:d} pixels ; min. res.: {run.min_res_A:0.1f} Angstroms ; "
        f"max. res.: {run.max_res_A:0.1f} Angstroms ; min. def.: {run.min_defocus_A:0.1f} um; "
        f"max. def. {run.max_defocus_A:0.1f} um",
        COLUMNS_LINE,
    ]


def result_row(number: int, fit: CtfFit) -> str:
    """Return one micrograph's 7 columns, in Å, degrees and radians, as CTFFIND prints them."""
    values = (
        float(number),
        10.0 * fit.defocus1_nm,
        10.0 * fit.defocus2_nm,
        fit.angle_deg,
        math.radians(fit.phase_shift_deg),
        fit.score,
        fit.resolution_A,
    )
    return " ".join(f"{value:f}" for value in values)


def format_ctffind_text(
    results: Sequence[tuple[str, CtfFit]],
    optics: Optics,
    run: CtffindRun,
    run_at: datetime | None = None,
) -> str:
    """Return the whole file: header, then one row per (file name, fit), numbered from 1."""
    files = [name for name, _ in results]
    estimator = _estimator(fit for _, fit in results)
    lines = header_lines(files, optics, run, estimator, run_at or datetime.now(UTC))
    lines += [result_row(number, fit) for number, (_, fit) in enumerate(results, start=1)]
    return "\n".join(lines) + "\n"


def write_ctffind_text(
    path: str | os.PathLike,
    results: Sequence[tuple[str, CtfFit]],
    optics: Optics,
    run: CtffindRun,
) -> None:
    """Write CTFFIND 4's results text for the given fits."""
    Path(path).write_text(format_ctffind_text(results, optics, run), encoding="utf-8")


def read_ctffind_rows(text: str) -> np.ndarray:
    """Return the (micrographs × 7) numbers of a CTFFIND 4 results text, skipping '#' lines."""
    rows = [line.split() for line in text.splitlines() if line.strip() and line[0] != "#"]
    if any(len(row) != N_COLUMNS for row in rows):
        raise ValueError(f"every CTFFIND result row must have {N_COLUMNS} columns")
    return np.array([[float(word) for word in row] for row in rows]).reshape(-1, N_COLUMNS)


def _estimator(fits) -> str:
    """Return 'name version' of the estimators behind the fits, or 'no fits'."""
    names = sorted({f"{fit.estimator} {fit.version}" for fit in fits})
    return ", ".join(names) or "no fits"
