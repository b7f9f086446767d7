"""Jobs through the HTTP API, the simulator's ground truth, and the rows a job left in the DB."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import Engine, text

FINAL = {"succeeded", "failed", "cancelled", "interrupted"}
JOB_TIMEOUT_S = 240.0
EXPOSURE_S = 4.0  # simulated seconds; the simulator runs at a tenth of real time
# Probes induce 500-1000 nm of astigmatism, which one 4 s frame does not always fit: average two
# 8 s frames and allow two re-acquisitions.
CALIBRATE = {"exposure_s": 8.0, "frames": 2, "retries": 2}
SWEEP = {"exposure_s": EXPOSURE_S, "defocus_start_nm": 1000.0, "defocus_stop_nm": 3000.0,
         "defocus_step_nm": 500.0, "frames_per_step": 2}  # fmt: skip


def submit(api: httpx.Client, procedure: str, params: dict[str, Any]) -> dict[str, Any]:
    """Submit a job on `sim` and return it."""
    response = api.post("/scopes/sim/jobs", json={"procedure": procedure, "params": params})
    assert response.status_code == 201, response.text
    return response.json()


def wait_for(check, timeout_s: float = JOB_TIMEOUT_S, poll_s: float = 0.05):
    """Return check()'s first value that is not None, polling until the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s} s")


def final(api: httpx.Client, job_id: str) -> dict[str, Any]:
    """Wait until a job ends and return it."""
    return wait_for(lambda: (job := api.get(f"/jobs/{job_id}").json())["state"] in FINAL
                    and job or None)  # fmt: skip


def run(api: httpx.Client, procedure: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run a job to its end, require success, wait for the scope to be free; return the job."""
    job = final(api, submit(api, procedure, params)["id"])
    assert job["state"] == "succeeded", job["error"]
    wait_until_free(api)
    return job


def wait_until_free(api: httpx.Client) -> None:
    """Wait until no job holds the scope (the lease is released just after a job ends)."""
    wait_for(lambda: api.get("/scopes/sim/state").json()["busy_job_id"] is None or None)


def events(api: httpx.Client, job_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Return a job's events, optionally of one kind."""
    found = api.get(f"/jobs/{job_id}/events").json()
    return [event for event in found if kind is None or event["kind"] == kind]


def truth(simulator_url: str) -> dict[str, Any]:
    """Return the simulated scope's ground truth (simulator only)."""
    response = httpx.get(f"{simulator_url}/v1/astigd/sim/truth", timeout=10.0)
    response.raise_for_status()
    return response.json()


def fitted_measurement_ids(api: httpx.Client, job_id: str) -> list[int]:
    """Return the measurement ids a job's fit events name."""
    return [i for event in events(api, job_id, "fit") for i in event["payload"]["measurement_ids"]]


def job_rows(database: Engine, job_id: str) -> dict[str, Any]:
    """Query PostgreSQL directly: the job's state, event count and measurement ids."""
    with database.connect() as connection:
        state = connection.execute(text("SELECT state FROM jobs WHERE id = :id"), {"id": job_id})
        count = connection.execute(
            text("SELECT count(*) FROM job_events WHERE job_id = :id"), {"id": job_id}
        )
        ids = connection.execute(
            text("SELECT id FROM measurements WHERE job_id = :id ORDER BY id"), {"id": job_id}
        )
        return {"state": state.scalar_one(), "events": count.scalar_one(),
                "measurements": list(ids.scalars())}  # fmt: skip


def assert_rows_match_the_api(api: httpx.Client, database: Engine, job_id: str) -> None:
    """Every event and fit the API reports for a job is a row in PostgreSQL, and no more."""
    rows = job_rows(database, job_id)
    assert rows["state"] == api.get(f"/jobs/{job_id}").json()["state"]
    assert rows["events"] == len(events(api, job_id))
    assert rows["measurements"] == sorted(fitted_measurement_ids(api, job_id))


def count_rows(database: Engine, table: str, job_id: str) -> int:
    """Return how many rows of `table` (a table with a job_id column) a job wrote."""
    with database.connect() as connection:
        query = text(f"SELECT count(*) FROM {table} WHERE job_id = :id")  # our own table names
        return connection.execute(query, {"id": job_id}).scalar_one()
