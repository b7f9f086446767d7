"""The compute pool: a real spawned process pool behind the API, and the other kinds."""

from __future__ import annotations

import ast
import pickle
import time
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
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings
from astigd.workers.pool import create_executor, fit_in_pool, ping, warm_worker
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


def test_warming_a_worker_never_raises():
    warm_worker()


@pytest.mark.anyio
async def test_workers_without_a_ctf_slot_run_no_fits():
    with LocalCluster(**CLUSTER) as cluster:
        pool = create_pool(PoolSettings(scheduler=cluster.scheduler_address))
        try:
            assert not await ping(pool, timeout_s=1.0)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
