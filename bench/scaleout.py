"""Benchmark fits per second in the local pool and on Dask with 1 and 2 workers. Prints JSON.

    python bench/scaleout.py            # the run recorded in docs/benchmarks.md
    python bench/scaleout.py --quick    # fewer frames, for a smoke check

Each pool fits seeded 1024² and 4096² uint16 frames the way the service does (`fit_quietly`
through `Executor.submit`). Throughput: every frame of a size is submitted at once and the wall
time to the last result is measured. Latency: frames are fitted one at a time. A pool's overhead
is the median of latency minus the fit's own time (moving the frame and the result, scheduling);
the overhead Dask adds is Dask's with one worker minus the local pool's with one process. Dask
runs a real `LocalCluster` of worker processes with one `ctf` slot and thread each, warmed by the
`astigd.dask_cluster` preload, and is reached through `DaskPool` as the API reaches it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from concurrent.futures import Executor, wait

import numpy as np

from astigd.dask_cluster import CTF_RESOURCE, DaskPool
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics
from astigd.workers.pool import create_executor, fit_quietly

OPTICS = Optics(pixel_size_A=1.0, kv=300.0, cs_mm=2.7)
SCOPES, FRAMES_PER_S = 10, 5.0  # the paper estimate: 10 scopes streaming 1024² at 5 frames/s
UTILISATION = 0.7  # plan workers to run at most this busy, for bursts and a lost worker


def frames(size: int, count: int) -> list[np.ndarray]:
    """Return `count` seeded uint16 counting frames of side `size` with known astigmatism."""
    rng = np.random.default_rng(size)
    made = []
    for index in range(count):
        exposure = Exposure(OPTICS, rng.uniform(1000, 4000), rng.uniform(0, 200), 37.0, 20.0)
        made.append(np.rint(synthesize_frame(exposure, (size, size), rng=index)).astype(np.uint16))
    return made


def submit(pool: Executor, frame: np.ndarray):
    """Submit one fit as the service does."""
    return pool.submit(fit_quietly, frame, OPTICS, None, None)


def measure(pool: Executor, workers: int, sets: dict[int, list[np.ndarray]]) -> dict:
    """Warm every worker on every size, then time throughput and one-at-a-time latency."""
    report = {}
    for size, batch in sets.items():
        wait([submit(pool, batch[0]) for _ in range(2 * workers)])  # FFT plans on every worker
        started = time.perf_counter()
        fits = [future.result() for future in [submit(pool, frame) for frame in batch]]
        wall_s = time.perf_counter() - started
        latencies, fit_ms = [], []
        for frame in batch[: max(3, len(batch) // 2)]:
            started = time.perf_counter()
            fit = submit(pool, frame).result()
            latencies.append((time.perf_counter() - started) * 1e3)
            fit_ms.append(fit.elapsed_ms)
        report[f"{size}"] = {
            "frames": len(batch),
            "frames_per_s": round(len(batch) / wall_s, 2),
            "latency_median_ms": round(statistics.median(latencies), 1),
            "fit_median_ms": round(statistics.median(fit_ms), 1),  # the fit alone, on the worker
            "overhead_median_ms": round(statistics.median(np.subtract(latencies, fit_ms)), 1),
            "reliable": sum(fit.reliable for fit in fits),
        }
    return report


def local_pool(workers: int, sets: dict[int, list[np.ndarray]]) -> dict:
    """Measure the local spawned process pool with `workers` processes."""
    with create_executor("local", workers) as pool:
        return measure(pool, workers, sets)


def dask_pool(workers: int, sets: dict[int, list[np.ndarray]]) -> dict:
    """Measure a Dask cluster of `workers` single-slot worker processes."""
    from distributed import LocalCluster

    options = {"threads_per_worker": 1, "resources": {CTF_RESOURCE: 1}, "dashboard_address": ":0"}
    with LocalCluster(n_workers=workers, preload=["astigd.dask_cluster"], **options) as cluster:
        pool = DaskPool(cluster.scheduler_address)
        try:
            return measure(pool, workers, sets)
        finally:
            pool.shutdown()


def paper_estimate(dask_one: dict, overhead_ms: float) -> dict:
    """Return the workers SCOPES scopes at FRAMES_PER_S each need, from one worker's costs.

    A worker with one slot is busy for one fit time per frame, so `demand × fit time` workers
    are busy all the time; plan for UTILISATION of that. The throughput of one worker gives a
    second, more pessimistic figure (it also pays for moving frames).
    """
    demand = SCOPES * FRAMES_PER_S
    busy_from_fit = demand * dask_one["fit_median_ms"] / 1e3
    busy_from_rate = demand / dask_one["frames_per_s"]
    return {
        "demand_frames_per_s": demand,
        "fit_median_ms": dask_one["fit_median_ms"],
        "workers_from_fit_time": math.ceil(busy_from_fit / UTILISATION),
        "workers_from_one_worker_rate": math.ceil(busy_from_rate / UTILISATION),
        "planned_load": UTILISATION,
        "frame_traffic_MiB_per_s": round(demand * 1024 * 1024 * 2 / 2**20, 1),  # uint16
        "dask_overhead_ms_per_frame": overhead_ms,
        "frame_interval_per_scope_ms": round(1e3 / FRAMES_PER_S, 1),
    }


def main() -> None:
    """Run every pool on both frame sizes and print the report as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames")
    args = parser.parse_args()
    counts = {1024: 6, 4096: 2} if args.quick else {1024: 16, 4096: 4}
    sets = {size: frames(size, count) for size, count in counts.items()}
    report: dict = {"pools": {}}
    for name, run, workers in (("local_1", local_pool, 1), ("local_2", local_pool, 2),
                               ("dask_1", dask_pool, 1), ("dask_2", dask_pool, 2)):  # fmt: skip
        report["pools"][name] = run(workers, sets)
    pools = report["pools"]
    report["dask_overhead_ms_per_frame"] = {
        size: round(pools["dask_1"][size]["overhead_median_ms"]
                    - pools["local_1"][size]["overhead_median_ms"], 1)
        for size in pools["local_1"]
    }  # fmt: skip
    report["paper_estimate"] = paper_estimate(
        pools["dask_1"]["1024"], report["dask_overhead_ms_per_frame"]["1024"]
    )
    report["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "load_1min": os.getloadavg()[0]}  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
