"""Benchmark the CTF fit: latency and accuracy on seeded synthetic frames. Prints JSON.

    python bench/fit.py            # the full run recorded in docs/benchmarks.md
    python bench/fit.py --quick    # a smaller set, for a smoke check

Latency is the in-process fit time from an in-memory frame (spectrum + fit): each set is
synthesized first, then fitted frame by frame, after its FFTs are planned (as a pool worker's
warm-up plans them) and a few warm-up fits. Accuracy is scored against the synthesis truth.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np

from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.astigmatism import astig_vector_nm
from astigd.workers.ctf import Optics
from astigd.workers.fft import get_backend
from astigd.workers.fit import FitSettings, fit_frame
from astigd.workers.pool import plan_ffts

OPTICS = Optics(pixel_size_A=1.0, kv=300.0, cs_mm=2.7)
DOSE_E_PER_A2 = 20.0


ASTIG_NM = (0.0, 300.0)
LARGE_ASTIG_NM = (300.0, 1200.0)  # what calibration probes induce (0.5-1 µm) plus the lens's own
DEFOCUS_NM = (500.0, 5000.0)


def random_truth(
    rng: np.random.Generator, astig_nm: tuple[float, float], defocus_nm: tuple[float, float]
) -> tuple[float, float, float]:
    """Draw (defocus nm, astigmatism nm, angle deg) from the given ranges.

    Astigmatism is drawn first, and not at all for a (0, 0) range, so that seeded sets stay those
    recorded in docs/benchmarks.md.
    """
    astig = rng.uniform(*astig_nm) if astig_nm[1] > 0 else 0.0
    return rng.uniform(*defocus_nm), astig, rng.uniform(0.0, 180.0)


def synthesize_set(
    size: int,
    count: int,
    seed: int,
    specimen: str,
    astig_nm: tuple[float, float] = ASTIG_NM,
    defocus_nm: tuple[float, float] = DEFOCUS_NM,
) -> tuple[list[np.ndarray], list[tuple[float, float, float]]]:
    """Return a seeded set's frames and their (defocus nm, astigmatism nm, angle deg) truths."""
    rng = np.random.default_rng(seed)
    truths = [random_truth(rng, astig_nm, defocus_nm) for _ in range(count)]
    frames = [
        synthesize_frame(
            Exposure(OPTICS, defocus_nm, astig_nm, angle_deg, DOSE_E_PER_A2),
            (size, size),
            specimen,
            rng=seed * 1000 + index,
        )
        for index, (defocus_nm, astig_nm, angle_deg) in enumerate(truths)
    ]
    return frames, truths


def vector_error_nm(
    astig_x_nm: float, astig_y_nm: float, truth: tuple[float, float, float]
) -> float:
    """Return the length of the doubled-angle vector error against a synthesis truth."""
    true_x, true_y = astig_vector_nm(truth[1], truth[2])
    return math.hypot(astig_x_nm - true_x, astig_y_nm - true_y)


def run_set(
    size: int,
    count: int,
    seed: int,
    specimen: str,
    settings: FitSettings,
    astig_nm: tuple[float, float] = ASTIG_NM,
    defocus_nm: tuple[float, float] = DEFOCUS_NM,
) -> list[dict]:
    """Synthesize and fit `count` frames; return one record per frame."""
    # all in memory first, as frames wait in a pool worker's queue, so timing sees only fits
    frames, truths = synthesize_set(size, count, seed, specimen, astig_nm, defocus_nm)
    plan_ffts([(size, size)], settings)  # in full, as a pool worker's warm-up does
    warm = synthesize_frame(Exposure(OPTICS, 2000.0, 100.0, 0.0), (size, size), rng=seed)
    for defocus_nm in (1000.0, 4000.0):  # plan both box sizes the fit may choose
        fit_frame(
            synthesize_frame(Exposure(OPTICS, defocus_nm), (size, size), rng=1), OPTICS, settings
        )
    fit_frame(warm, OPTICS, settings)
    records = []
    for frame, truth in zip(frames, truths, strict=True):
        started = time.perf_counter()
        fit = fit_frame(frame, OPTICS, settings)
        latency_ms = (time.perf_counter() - started) * 1e3
        records.append({
            "latency_ms": latency_ms,
            "vector_error_nm": vector_error_nm(fit.astig_x_nm, fit.astig_y_nm, truth),
            "defocus_error_nm": fit.defocus_mean_nm - truth[0],
            "astig_nm": fit.astig_nm,
            "astig_uncertainty_nm": fit.astig_uncertainty_nm,
            "reliable": fit.reliable,
        })  # fmt: skip
    return records


def summarize(records: list[dict]) -> dict:
    """Reduce per-frame records to latency percentiles and error statistics."""
    latency = np.array([r["latency_ms"] for r in records])
    reliable = [r for r in records if r["reliable"]]
    vector = np.array([r["vector_error_nm"] for r in reliable])
    defocus = np.array([r["defocus_error_nm"] for r in reliable])
    z = vector / np.array([r["astig_uncertainty_nm"] for r in reliable])
    return {
        "frames": len(records),
        "reliable": len(reliable),
        "latency_median_ms": round(float(np.median(latency)), 1),
        "latency_p95_ms": round(float(np.percentile(latency, 95)), 1),
        "astig_vector_error_rms_nm": round(float(np.sqrt(np.mean(vector**2))), 2)
        if len(vector)
        else None,
        "astig_vector_error_max_nm": round(float(vector.max()), 2) if len(vector) else None,
        "defocus_error_rms_nm": round(float(np.sqrt(np.mean(defocus**2))), 2)
        if len(defocus)
        else None,
        "error_over_uncertainty_rms": round(float(np.sqrt(np.mean(z**2))), 2) if len(z) else None,
        "astig_nm_max": round(max(r["astig_nm"] for r in records), 2),
    }


def main() -> None:
    """Run every set and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    parser.add_argument("--backend", choices=["pyfftw", "scipy"], default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n_small, n_large = (10, 4) if args.quick else (60, 20)
    settings = FitSettings(fft_backend=args.backend)
    sets = {
        "carbon_1024": run_set(1024, n_small, args.seed, "carbon", settings),
        "carbon_4096": run_set(4096, n_large, args.seed + 1, "carbon", settings),
        "stigmatic_4096": run_set(4096, n_large // 2, args.seed + 2, "carbon", settings, (0, 0)),
        "ice_1024": run_set(1024, n_small, args.seed + 3, "ice", settings),
        "large_astig_1024": run_set(
            1024, n_small, args.seed + 4, "carbon", settings, LARGE_ASTIG_NM, (1000.0, 4000.0)
        ),
    }
    report = {name: summarize(records) for name, records in sets.items()}
    ice = sets["ice_1024"]
    report["ice_1024"]["unreliable_fraction"] = round(
        sum(not r["reliable"] for r in ice) / len(ice), 3
    )
    report["ice_1024"]["vector_error_rms_all_nm"] = round(
        float(np.sqrt(np.mean([r["vector_error_nm"] ** 2 for r in ice]))), 1
    )
    report["machine"] = {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                         "fft_backend": get_backend(args.backend).name}  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
