"""Kill the API (SIGKILL) and the simulator mid-job: interrupted and restored, or failed cleanly."""

from __future__ import annotations

import pytest

from tests.integration.jobs import (
    SWEEP,
    assert_rows_match_the_api,
    events,
    final,
    job_rows,
    submit,
    wait_for,
)
from tests.jobs.test_crash import check_crash_recovery

pytestmark = pytest.mark.integration


class RestartableApi:
    """The deployment's `astigd serve` as check_crash_recovery drives it: kill -9, start."""

    def __init__(self, deployment) -> None:
        self.deployment = deployment

    def kill(self) -> None:
        self.deployment.api.kill()

    def start(self) -> list[str]:
        return self.deployment.start_api()


def test_an_api_killed_mid_job_interrupts_it_and_restores_the_stigmators(deployment):
    with deployment.client() as api:
        check_crash_recovery(RestartableApi(deployment), api, deployment.simulator_url)
        interrupted = api.get("/jobs", params={"state": "interrupted"}).json()["items"]
        assert len(interrupted) == 1
        assert_rows_match_the_api(api, deployment.database, interrupted[0]["id"])


def test_a_simulator_killed_mid_job_fails_the_job_and_keeps_its_measurements(deployment):
    with deployment.client() as api:
        job = submit(api, "defocus_sweep", SWEEP)
        wait_for(lambda: events(api, job["id"], "fit") or None)
        deployment.simulator.kill()
        ended = final(api, job["id"])
        deployment.start_simulator()
        assert ended["state"] == "failed" and "microscope unreachable" in ended["error"]
        restore, state = events(api, job["id"])[-2:]
        assert restore["kind"] == "restore" and not restore["payload"]["ok"]  # nothing to talk to
        assert state["payload"]["state"] == "failed"
        rows = job_rows(deployment.database, job["id"])
        assert rows["measurements"] and len(rows["measurements"]) < 10
        assert_rows_match_the_api(api, deployment.database, job["id"])
