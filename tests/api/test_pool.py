"""The compute pool: a real spawned process pool behind the API, and the other kinds."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from distributed import LocalCluster
from fastapi.testclient import TestClient

import astigd.workers
from astigd.app.core.config import PoolSettings, Settings
from astigd.app.core.pool import create_pool
from astigd.app.main import create_app
from astigd.dask_cluster import CTF_RESOURCE, DaskPool, PoolUnavailableError
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.fft_wisdom import WARM_SHAPES_ENV, WISDOM_ENV
from astigd.workers.ctf import Optics
from astigd.workers.fft import get_backend
from astigd.workers.fit import FitSettings, fft_shapes, fit_frame
from astigd.workers.pool import (
    FitPool,
    FitTimeoutError,
    create_executor,
    fit_in_pool,
    ping,
    run_in_pool,
    warm_worker,
)
from tests.api.conftest import OPTICS_QUERY, TRUTH, make_settings

WORKERS = Path(astigd.workers.__file__).parent
FORBIDDEN = ("astigd.app", "astigd.drivers", "tests")
CLUSTER = {"n_workers": 1, "processes": False, "dashboard_address": ":0"}  # 8787 may be taken


def poll_ready(client, timeout_s: float = 60.0) -> dict:
    """Poll /readyz as an orchestrator would: a spawned worker may take a while to import."""
    deadline = time.monotonic() + timeout_s
    while (ready := client.get("/readyz").json())["status"] != "ready":
        assert time.monotonic() < deadline, ready
    return ready


def test_the_api_fits_in_a_spawned_process_pool(db_url, tmp_path, clean_env, keys, carbon_frame):
    settings = make_settings(db_url, tmp_path, pool={"kind": "local", "workers": 1})
    headers = {
        "X-API-Key": keys["read"],
        "X-Dtype": "uint16",
        "X-Shape": "1024,1024",
        "Content-Type": "application/octet-stream",
    }
    with TestClient(create_app(settings)) as client:
        ready = poll_ready(client)
        response = client.post(
            "/api/v1/fit", params=OPTICS_QUERY, content=carbon_frame.tobytes(), headers=headers
        )
    assert ready["pool_alive"]
    assert response.status_code == 200, response.text
    assert response.json()["defocus_mean_nm"] == pytest.approx(TRUTH["defocus_mean_nm"], abs=15)


@pytest.mark.anyio
async def test_fit_in_pool_returns_the_fit_from_a_thread_pool(carbon_frame):
    with create_executor("thread", 1) as executor:
        fit = await fit_in_pool(executor, carbon_frame, Optics(1.0), FitSettings(), None)
    assert fit.astig_nm == pytest.approx(TRUTH["astig_nm"], abs=8)


def test_frames_travel_as_compact_buffers(carbon_frame):
    assert len(pickle.dumps(carbon_frame, protocol=5)) < carbon_frame.nbytes * 1.01


def test_a_scheduler_address_selects_the_dask_pool(clean_env, monkeypatch):
    monkeypatch.setenv("ASTIGD_POOL__SCHEDULER", "tcp://10.0.0.5:8786")
    assert Settings().pool.kind == "dask"
    with pytest.raises(ValueError, match="ASTIGD_POOL__SCHEDULER"):
        PoolSettings(kind="dask")


def test_an_unreachable_scheduler_is_reported_with_its_address():
    with pytest.raises(PoolUnavailableError, match="tcp://127.0.0.1:9"):
        DaskPool("tcp://127.0.0.1:9", timeout_s=1.0)


@pytest.mark.anyio
async def test_fits_and_4096_frames_run_on_dask_workers_with_a_ctf_slot(carbon_frame):
    frame_4096 = np.zeros((4096, 4096), np.float32)  # 64 MiB: no "large graph" warning (= error)
    with LocalCluster(resources={CTF_RESOURCE: 1}, **CLUSTER) as cluster:
        pool = create_pool(PoolSettings(scheduler=cluster.scheduler_address))
        try:
            fit = await fit_in_pool(pool, carbon_frame, Optics(1.0), FitSettings(), None)
            assert await ping(pool)
            assert pool.workers() == 1  # the one worker with a `ctf` slot
            assert pool.submit(len, frame_4096).result() == 4096
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    assert fit.astig_nm == pytest.approx(TRUTH["astig_nm"], abs=8)


def test_workers_never_import_the_app_or_the_drivers():
    offenders = []
    for path in WORKERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.startswith(FORBIDDEN)]
    assert not offenders


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_warming_a_worker_takes_shapes_and_wisdom_file_from_the_environment(tmp_path, monkeypatch):
    wisdom = tmp_path / "env" / "wisdom.pickle"
    monkeypatch.setenv(WISDOM_ENV, str(wisdom))
    monkeypatch.setenv(WARM_SHAPES_ENV, "512x512")
    assert warm_worker() == {(1, 512, 512)}
    assert wisdom.is_file()


def test_warming_a_worker_plans_the_ffts_of_real_frames_and_saves_the_wisdom(tmp_path):
    settings = FitSettings(fft_threads=1)  # a backend of its own: no other test's plans
    backend = get_backend(settings.fft_backend, settings.fft_threads)
    if backend.name != "pyfftw":
        pytest.skip("FFTW plans need pyfftw")
    wisdom = tmp_path / "wisdom.pickle"
    stacks = warm_worker(((1024, 1024), (4096, 4096)), wisdom, settings)
    assert stacks == {(1, 1024, 1024), (1, 4096, 4096)}  # square frames: one whole-frame box
    assert stacks <= backend.planned
    # A fresh process plans these stacks from the saved wisdom alone (FFTW_WISDOM_ONLY fails
    # when the wisdom lacks a shape).
    check = subprocess.run(
        [sys.executable, "-c", WISDOM_ONLY, str(wisdom), repr(sorted(stacks))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr


WISDOM_ONLY = """
import ast, pickle, sys
import numpy as np, pyfftw
assert all(pyfftw.import_wisdom(pickle.loads(open(sys.argv[1], "rb").read())))
for shape in ast.literal_eval(sys.argv[2]):
    tiles = pyfftw.empty_aligned(shape, dtype=np.float32)
    spectra = pyfftw.empty_aligned((*shape[:2], shape[2] // 2 + 1), np.complex64)
    pyfftw.FFTW(tiles, spectra, axes=(-2, -1), threads=1,
                flags=("FFTW_MEASURE", "FFTW_WISDOM_ONLY"))
"""


@pytest.mark.parametrize(
    ("threads", "shape"), [(3, (1024, 1024)), (4, (2048, 2048)), (5, (1024, 1536))]
)
def test_a_fit_plans_only_stacks_that_fft_shapes_names(threads, shape):
    settings = FitSettings(fft_threads=threads)  # a backend of its own for each frame shape
    backend = get_backend(settings.fft_backend, threads)
    if backend.name != "pyfftw":
        pytest.skip("FFTW plans need pyfftw")
    frame = synthesize_frame(Exposure(Optics(1.0), **TRUTH), shape, rng=7)
    fit = fit_frame(frame, Optics(1.0), settings)
    assert backend.planned and backend.planned <= fft_shapes(shape, settings)
    assert fit.parameters["box_px"] in {box for _, box, _ in fft_shapes(shape, settings)}


@pytest.mark.anyio
async def test_a_fit_with_no_ctf_worker_left_fails_with_a_clear_timeout(carbon_frame):
    with LocalCluster(**CLUSTER) as cluster:  # a worker, but none offers a `ctf` slot
        pool = create_pool(PoolSettings(scheduler=cluster.scheduler_address, fit_timeout_s=1.0))
        try:
            assert pool.workers() == 0
            started = time.monotonic()
            with pytest.raises(FitTimeoutError, match="within 1 s: is any worker with a `ctf`"):
                await fit_in_pool(pool, carbon_frame, Optics(1.0), FitSettings(), None)
            waited_s = time.monotonic() - started
            assert pool.in_flight == 0  # the task was cancelled, not left queued
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    assert 1.0 <= waited_s < 30.0


@pytest.mark.anyio
async def test_a_local_pool_whose_workers_are_stuck_times_out_and_says_so():
    release = threading.Event()
    pool = FitPool(ThreadPoolExecutor(1), fit_timeout_s=0.5, stall_hint="workers are stuck")
    try:
        pool.submit(release.wait, 60)  # the only worker is taken
        with pytest.raises(FitTimeoutError, match="within 0.5 s: workers are stuck"):
            await run_in_pool(pool, len, "frame")
        assert pool.in_flight == 1
    finally:
        release.set()
        pool.shutdown(wait=True)
    assert pool.in_flight == 0


@pytest.mark.anyio
async def test_a_timeout_the_task_raises_itself_is_not_a_pool_timeout():
    def slow_scope_call() -> None:
        raise TimeoutError("the task's own timeout")

    pool = FitPool(ThreadPoolExecutor(1), fit_timeout_s=30.0)
    try:
        with pytest.raises(TimeoutError, match="own timeout") as raised:
            await run_in_pool(pool, slow_scope_call)
        assert not isinstance(raised.value, FitTimeoutError)
    finally:
        pool.shutdown(wait=True)


@pytest.mark.anyio
async def test_workers_without_a_ctf_slot_run_no_fits():
    with LocalCluster(**CLUSTER) as cluster:
        pool = create_pool(PoolSettings(scheduler=cluster.scheduler_address))
        try:
            assert not await ping(pool, timeout_s=1.0)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def metric(text: str, name: str) -> float:
    """Return the value of an unlabelled sample in Prometheus text."""
    (line,) = [line for line in text.splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[1])


def test_metrics_report_pool_tasks_in_flight_and_workers(db_url, tmp_path, clean_env, keys):
    settings = make_settings(db_url, tmp_path, pool={"kind": "thread", "workers": 2})
    release = threading.Event()
    with TestClient(create_app(settings)) as client:
        idle = client.get("/metrics").text
        pool = client.app.state.executor
        stuck = [pool.submit(release.wait, 30) for _ in range(3)]  # two running, one queued
        busy = client.get("/metrics").text
        release.set()
        for future in stuck:
            future.result(timeout=30)
        after = client.get("/metrics").text
    assert metric(idle, "astigd_pool_workers") == 2.0
    assert metric(idle, "astigd_pool_fits_in_flight") == 0.0
    assert metric(busy, "astigd_pool_fits_in_flight") == 3.0
    assert metric(after, "astigd_pool_fits_in_flight") == 0.0
