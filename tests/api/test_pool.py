"""The compute pool: a real spawned process pool behind the API, and the other kinds."""

from __future__ import annotations

import ast
import importlib.util
import pickle
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import astigd.workers
from astigd.app.main import create_app
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings
from astigd.workers.pool import PoolUnavailableError, create_executor, fit_in_pool, warm_worker
from tests.api.conftest import OPTICS_QUERY, TRUTH, make_settings

WORKERS = Path(astigd.workers.__file__).parent
FORBIDDEN = ("astigd.app", "astigd.drivers", "tests")


def test_the_api_fits_in_a_spawned_process_pool(db_url, tmp_path, clean_env, keys, carbon_frame):
    settings = make_settings(db_url, tmp_path, pool={"kind": "local", "workers": 1})
    headers = {
        "X-API-Key": keys["read"],
        "X-Dtype": "uint16",
        "X-Shape": "1024,1024",
        "Content-Type": "application/octet-stream",
    }
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz").json()
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


def test_a_dask_pool_needs_an_address_and_the_distributed_package():
    with pytest.raises(PoolUnavailableError, match="scheduler address"):
        create_executor("dask")
    if importlib.util.find_spec("distributed") is None:
        with pytest.raises(PoolUnavailableError, match="distributed"):
            create_executor("dask", scheduler_address="tcp://127.0.0.1:8786")


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
