"""Fit bench/fit.py's seeded frames with astigd and with CTFFIND 5, side by side. Prints JSON.

    python bench/ctffind_compare.py --ctffind /path/to/ctffind            # carbon 1024², 60 frames
    python bench/ctffind_compare.py --ctffind ... --size 4096 --count 20 --seed 8
    python bench/ctffind_compare.py --ctffind ... --size 4096 --count 10 --seed 9 --stigmatic
    python bench/ctffind_compare.py --ctffind ... --specimen ice --seed 10

The seeds are bench/fit.py's, so these are the frames of its carbon_1024, carbon_4096,
stigmatic_4096 and ice_1024 sets.

CTFFIND is not a dependency of astigd: build it from cisTEM's sources and point --ctffind at the
binary. It runs with its defaults (512 box, 30–5 Å, 0.5–5 µm search in 100 Å steps, no
astigmatism restraint, one thread), as the issue's reference figures were taken. Each frame is
written as an MRC file, so CTFFIND reads rows as y: the same axes astigd's angles use.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
import time
from pathlib import Path

import mrcfile
import numpy as np
from fit import ASTIG_NM, OPTICS, summarize, synthesize_set, vector_error_nm

from astigd.workers.astigmatism import astig_vector_nm
from astigd.workers.fit import FitSettings, fit_frame


def ctffind_answers(frame_path: Path, diagnostic_path: Path) -> str:
    """Return CTFFIND's interactive answers for one single-image MRC, defaults otherwise."""
    answers = [
        frame_path, diagnostic_path, OPTICS.pixel_size_A, OPTICS.kv, OPTICS.cs_mm,
        OPTICS.amplitude_contrast, 512, 30.0, 5.0, 5000.0, 50000.0, 100.0,
        "no",  # astigmatism known
        "no",  # slower, exhaustive search
        "no",  # restraint on astigmatism
        "no",  # additional phase shift
        "no",  # sample tilt
        "no",  # sample thickness
        "no",  # expert options
    ]  # fmt: skip
    return "\n".join(str(answer) for answer in answers) + "\n"


def run_ctffind(binary: str, frame: np.ndarray, folder: Path) -> tuple[dict, float]:
    """Fit one frame with CTFFIND; return its result (nm, degrees) and the wall time in ms."""
    frame_path, diagnostic_path = folder / "frame.mrc", folder / "diagnostic.mrc"
    with mrcfile.new(frame_path, overwrite=True) as mrc:
        mrc.set_data(frame.astype(np.float32))
        mrc.voxel_size = OPTICS.pixel_size_A
    started = time.perf_counter()
    subprocess.run(
        [binary], input=ctffind_answers(frame_path, diagnostic_path), text=True,
        capture_output=True, check=True, timeout=600,
    )  # fmt: skip
    elapsed_ms = (time.perf_counter() - started) * 1e3
    return parse_ctffind_output(diagnostic_path.with_suffix(".txt")), elapsed_ms


def parse_ctffind_output(path: Path) -> dict:
    """Return defocus 1/2 (nm), azimuth (deg), score and fit resolution (Å) from CTFFIND's text."""
    row = next(line for line in path.read_text().splitlines() if not line.startswith("#"))
    values = [float(value) for value in row.split()]
    defocus1_nm, defocus2_nm, azimuth_deg = values[1] / 10.0, values[2] / 10.0, values[3]
    astig_x, astig_y = astig_vector_nm(defocus1_nm - defocus2_nm, azimuth_deg)
    return {"defocus_mean_nm": 0.5 * (defocus1_nm + defocus2_nm), "astig_x_nm": astig_x,
            "astig_y_nm": astig_y, "score": values[5], "fit_resolution_A": values[6]}  # fmt: skip


def compare(binary: str, size: int, count: int, seed: int, specimen: str, stigmatic: bool) -> dict:
    """Fit every frame of the set with both; return per-estimator summaries."""
    astig_nm = (0.0, 0.0) if stigmatic else ASTIG_NM
    frames, truths = synthesize_set(size, count, seed, specimen, astig_nm)
    settings = FitSettings()
    fit_frame(frames[0], OPTICS, settings)  # plans the FFTs
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as folder:
        for frame, truth in zip(frames, truths, strict=True):
            started = time.perf_counter()
            fit = fit_frame(frame, OPTICS, settings)
            ours.append(record(fit.astig_x_nm, fit.astig_y_nm, fit.defocus_mean_nm, truth,
                               (time.perf_counter() - started) * 1e3, fit.reliable,
                               fit.astig_uncertainty_nm))  # fmt: skip
            result, elapsed_ms = run_ctffind(binary, frame, Path(folder))
            theirs.append(record(result["astig_x_nm"], result["astig_y_nm"],
                                 result["defocus_mean_nm"], truth, elapsed_ms))  # fmt: skip
    reference = summarize(theirs)
    del reference["error_over_uncertainty_rms"], reference["reliable"]  # it reports neither
    return {"astigd": summarize(ours), "ctffind": reference,
            "per_frame_vector_error_nm": [[round(a["vector_error_nm"], 2),
                                           round(b["vector_error_nm"], 2)]
                                          for a, b in zip(ours, theirs, strict=True)]}  # fmt: skip


def record(
    astig_x_nm, astig_y_nm, defocus_nm, truth, latency_ms, reliable=True, uncertainty_nm=math.nan
) -> dict:
    """Return one frame's record in bench/fit.py's form (CTFFIND gives no uncertainty)."""
    return {"latency_ms": latency_ms, "reliable": reliable, "astig_uncertainty_nm": uncertainty_nm,
            "vector_error_nm": vector_error_nm(astig_x_nm, astig_y_nm, truth),
            "defocus_error_nm": defocus_nm - truth[0],
            "astig_nm": math.hypot(astig_x_nm, astig_y_nm)}  # fmt: skip


def main() -> None:
    """Run the comparison and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctffind", required=True, help="path of the ctffind binary")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--specimen", choices=["carbon", "ice"], default="carbon")
    parser.add_argument("--stigmatic", action="store_true", help="frames without astigmatism")
    args = parser.parse_args()
    report = compare(args.ctffind, args.size, args.count, args.seed, args.specimen, args.stigmatic)
    report["set"] = vars(args)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
