"""An app on the test database with a thread pool, a client, keys, and synthetic frames."""

from __future__ import annotations

import os

import numpy as np
import pytest
from fastapi import FastAPI

from astigd.app.core.config import Settings
from astigd.app.main import create_app
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics

KEPT_ENV = {
    "ASTIGD_TEST_DATABASE_URL",
    "ASTIGD_TEST_SIMULATED_DATE",
    "ASTIGD_FFT_BACKEND",
    "ASTIGD_CACHE_DIR",
}
# Every test's simulated scope lives on this day, so a run tomorrow sees the same lens. Explore
# other days' lenses with ASTIGD_TEST_SIMULATED_DATE=YYYY-MM-DD.
SIMULATED_DATE = os.environ.get("ASTIGD_TEST_SIMULATED_DATE", "2026-11-21")
TRUTH = {"defocus_mean_nm": 1500.0, "astig_nm": 80.0, "angle_deg": 30.0}
OPTICS_QUERY = {"pixel_size_A": 1.0, "kv": 300, "cs_mm": 2.7}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_settings(db_url: str, data_dir, **groups) -> Settings:
    values = {
        "data_dir": data_dir,
        "database": {"url": db_url},
        "pool": {"kind": "thread", "workers": 2, "warm_up": False},
        **groups,
        "simulator": {"date": SIMULATED_DATE, **groups.get("simulator", {})},
    }
    return Settings(**values)


@pytest.fixture
def settings(db_url, tmp_path, clean_env) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
def app(settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def carbon_frame() -> np.ndarray:
    """A 1024² counting frame with known defocus and astigmatism, as uint16 counts."""
    exposure = Exposure(Optics(1.0), **TRUTH)
    frame = synthesize_frame(exposure, (1024, 1024), rng=7)
    return np.rint(frame).astype(np.uint16)
