"""Benchmark the closed-loop correction on the simulated scope over seeded trials. Prints JSON.

    python bench/correction.py               # 200 trials (4 simulated scopes × 50)
    python bench/correction.py --trials 40   # a quicker smoke run
    python bench/correction.py --exposure-s 1 --frames 4   # another dose per measurement

Each trial sets a random true astigmatism of up to 300 nm at 2 µm underfocus, then runs
`correct` to a 2 Å tolerance (10.2 nm at 300 kV) with one 160 e/Å² frame per measurement.
Half the trials use the true stigmator response as the calibration; the other half one that is
off by ±10 % in gain and ±10° in direction (doubled-angle space). A trial succeeds when the
true residual is ≤ 10 nm after at most 3 moves; "never worse" compares it with the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from typing import Any

import numpy as np

from astigd.app.core.inventory import AnisoMagSpec, MagnificationOptics, OpticsDefaults
from astigd.app.procedures import correct
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.optics import pool_fitter
from astigd.app.procedures.runtime import runtime_for
from astigd.drivers.limits import ScopeTiming
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.connect import simulated_scope
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.seeding import rotation
from astigd.drivers.simulator.truth import truth_report
from astigd.workers.pool import create_executor

SCOPE_SEEDS = (5, 11, 23, 42)
ERRORS = [(1.1, 10.0), (0.9, -10.0), (1.1, -10.0), (0.9, 10.0)]
TIMING = ScopeTiming(call_timeout_s=5.0, busy_backoff_s=0.001, settle_s=0.0)
SUCCESS_NM = 10.0


def declared_optics(microscope: SimulatedMicroscope) -> OpticsDefaults:
    """Return the scope's inventory optics, declaring each magnification's anisotropy."""
    rows = []
    for index, mag in microscope.state.table.items():
        aniso = AnisoMagSpec(scale_major=mag.aniso.scale_major, scale_minor=mag.aniso.scale_minor,
                             angle_deg=mag.aniso.angle_deg)  # fmt: skip
        rows.append(
            MagnificationOptics(mag_index=index, pixel_size_A=mag.pixel_size_A, aniso=aniso)
        )
    return OpticsDefaults(cs_mm=microscope.config.cs_mm, magnifications=tuple(rows))


class MemoryCalibrationStore:
    """Just enough of a CalibrationStore: the stigmator response set for the next trial."""

    def __init__(self) -> None:
        self.record: dict[str, Any] | None = None

    async def save(self, kind, snapshot, record) -> int:
        self.record = {**record, "id": 1, "created_at": "", "mag_index": snapshot.mag.index,
                       "fallback": False}  # fmt: skip
        return 1

    async def current(self, kind, snapshot, same_mag_only=False):
        return self.record

    async def history(self, kind, limit=30, snapshot=None):
        return [self.record] if self.record else []


async def trial(scope, microscope, store, fit, rng, gain: float, turn_deg: float, params) -> dict:
    """Set a random astigmatism, calibrate (with an error), correct; return the outcome."""
    truth = truth_report(microscope)
    response = np.array(truth["stigmator_response_nm_per_unit"])
    matrix = gain * rotation(turn_deg) @ response
    await store.save("stigmator_response", await scope.snapshot(), {"matrix_nm_per_unit": matrix})
    angle = rng.uniform(0.0, 2 * np.pi)
    target = rng.uniform(0.0, 300.0) * np.array([np.cos(angle), np.sin(angle)])
    step = np.linalg.solve(response, target - np.asarray(truth["astig_vec_nm"]))
    await scope.walk_stigmator(*(np.asarray(truth["stig_commanded"]) + step))
    start_nm = truth_report(microscope)["astig_nm"]
    ctx = await runtime_for(scope, "bench", fit=fit, calibrations=store)
    try:
        result, failure = await correct.run(ctx, params), None
    except ProcedureError as error:
        result, failure = {"moves": None, "converged": False}, error.reason
        await scope.restore(ctx.start_snapshot)
    final_nm = truth_report(microscope)["astig_nm"]
    return {"start_nm": start_nm, "final_nm": final_nm, "moves": result["moves"],
            "converged": result["converged"], "failure": failure,
            "calibration_error": gain != 1.0}  # fmt: skip


def summarise(rows: list[dict]) -> dict[str, Any]:
    """Return success rate, moves, residuals and never-worse rate of a set of trials."""
    final = np.array([r["final_nm"] for r in rows])
    ok = [r["moves"] is not None and r["moves"] <= 3 and r["final_nm"] <= SUCCESS_NM for r in rows]
    moves = Counter(str(r["moves"]) for r in rows)
    return {"trials": len(rows), "success_rate": float(np.mean(ok)),
            "converged_rate": float(np.mean([r["converged"] for r in rows])),
            "never_worse_rate": float(np.mean([r["final_nm"] <= r["start_nm"] + 1.0
                                               for r in rows])),
            "moves_to_tolerance": dict(sorted(moves.items())),
            "final_residual_nm": {"median": float(np.median(final)), "max": float(final.max()),
                                  "p95": float(np.percentile(final, 95))},
            "failures": [r["failure"] for r in rows if r["failure"]]}  # fmt: skip


async def run_scope(seed: int, count: int, executor, first_trial: int, params) -> list[dict]:
    """Run `count` trials on one simulated scope."""
    microscope = SimulatedMicroscope(SimulatorConfig(seed=seed, timing=Timing(time_scale=0.0)))
    scope = simulated_scope(microscope, timing=TIMING)
    fit = pool_fitter(executor, declared_optics(microscope))
    store, rng = MemoryCalibrationStore(), np.random.default_rng([seed, 2026])
    await scope.set_defocus_nm(2000.0)
    rows = []
    for index in range(first_trial, first_trial + count):
        gain, turn = (1.0, 0.0) if index % 2 == 0 else ERRORS[(index // 2) % len(ERRORS)]
        rows.append(await trial(scope, microscope, store, fit, rng, gain, turn, params))
    await scope.close()
    return rows


async def main(trials: int, params: correct.CorrectParams) -> dict[str, Any]:
    """Run the trials over the simulated scopes and summarise them."""
    executor = create_executor("thread", workers=1)
    started, rows = time.perf_counter(), []
    per_scope = -(-trials // len(SCOPE_SEEDS))
    for number, seed in enumerate(SCOPE_SEEDS):
        count = min(per_scope, trials - len(rows))
        rows += await run_scope(seed, count, executor, number * per_scope, params)
    executor.shutdown()
    exact = [r for r in rows if not r["calibration_error"]]
    erred = [r for r in rows if r["calibration_error"]]
    return {"benchmark": "correction", "tolerance_nm": params.tolerance_for(300.0),
            "success_nm": SUCCESS_NM, "exposure_s": params.exposure_s, "frames": params.frames,
            "scopes": SCOPE_SEEDS,
            "all": summarise(rows), "exact_calibration": summarise(exact),
            "calibration_error_10pct_10deg": summarise(erred),
            "elapsed_s": round(time.perf_counter() - started, 1)}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--exposure-s", type=float, default=8.0)  # 160 e/Å² per frame
    parser.add_argument("--frames", type=int, default=1)
    args = parser.parse_args()
    chosen = correct.CorrectParams(
        target_resolution_A=2.0, exposure_s=args.exposure_s, frames=args.frames
    )
    print(json.dumps(asyncio.run(main(args.trials, chosen)), indent=2))
