"""An app whose `sim` scope is the in-process simulator at full speed, keys, and job helpers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi import FastAPI

from astigd.app.main import create_app
from tests.api.conftest import make_settings

FINAL = {"succeeded", "failed", "cancelled", "interrupted"}
SIMULATOR = {"time_scale": 0.0, "frame_px": 512, "seed": 0}
# A quick sweep whose fits are reliable on the seed-0 simulator with 512-pixel frames.
QUICK_SWEEP = {
    "defocus_start_nm": 2000.0,
    "defocus_stop_nm": 3000.0,
    "defocus_step_nm": 500.0,
    "frames_per_step": 1,
    "exposure_s": 4.0,
}
LONG_SWEEP = {**QUICK_SWEEP, "defocus_step_nm": 100.0, "frames_per_step": 2}


@pytest.fixture
def jobs_settings() -> dict[str, Any]:
    return {"lease_ttl_s": 2.0, "schedule_poll_s": 3600.0}


@pytest.fixture
def app(db_url, tmp_path, clean_env, jobs_settings) -> FastAPI:
    settings = make_settings(db_url, tmp_path, simulator=SIMULATOR, jobs=jobs_settings)
    return create_app(settings)


def submit(client, headers, procedure: str, params: dict, wait: bool = True, scope: str = "sim"):
    body = {"procedure": procedure, "params": params, "wait": wait}
    return client.post(f"/api/v1/scopes/{scope}/jobs", json=body, headers=headers)


def wait_final(client, headers, job_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["state"] in FINAL:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def events(client, headers, job_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
    url = f"/api/v1/jobs/{job_id}/events"
    return client.get(url, params={"after_seq": after_seq}, headers=headers).json()


def scope_state(client, headers, scope: str = "sim") -> dict[str, Any]:
    return client.get(f"/api/v1/scopes/{scope}/state", headers=headers).json()
