"""kill -9 mid-job: the restarted service marks the job interrupted and restores the scope.

The scope is the simulator served over HTTP (`astigd simulator serve`, a thermo scope in the
inventory), so it keeps its state while the API process dies and restarts.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.api.conftest import SIMULATED_DATE
from tests.database import fresh_database
from tests.processes import (
    free_port,
    read_lines,
    wait_for_http,
    wait_for_line,
    wait_until_healthy,
)

pytestmark = pytest.mark.integration
CALIBRATE = {"procedure": "calibrate_stigmators", "params": {"exposure_s": 4.0}}


def wait_for_simulator(url: str) -> None:
    wait_for_http(f"{url}/v1/astigd/optics", "the simulator never answered", timeout_s=30)


@pytest.fixture
def simulator_url(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "astigd", "simulator", "serve", "--port", str(port),
               "--seed", "0", "--date", SIMULATED_DATE, "--time-scale", "0.1",
               "--frame-px", "512"]  # fmt: skip
    log = (tmp_path / "simulator.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_simulator(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Service:
    """`astigd serve` on a fixed port and database; start, kill -9, start again."""

    def __init__(self, env: dict[str, str], port: int, folder) -> None:
        self.env, self.port, self.folder = env, port, folder
        self.process: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}/"

    def start(self) -> list[str]:
        command = [sys.executable, "-m", "astigd", "serve", "--port", str(self.port)]
        self.log = (self.folder / "serve.log").open("a")
        self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True)  # fmt: skip
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=read_lines, args=(self.process.stdout, lines), daemon=True).start()
        seen: list[str] = []
        wait_for_line(lines, "astigd: serving at", seen)
        wait_until_healthy(self.url)
        return seen

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process.stdout.close()
            self.log.close()


@pytest.fixture
def service(tmp_path, simulator_url):
    inventory = tmp_path / "scopes.yaml"
    inventory.write_text(
        f"scopes:\n  - id: sim\n    driver: thermo\n    address: {simulator_url}\n"
    )
    with fresh_database(tmp_path, "crash") as url:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ASTIGD_")}
        env.update(ASTIGD_DATA_DIR=str(tmp_path / "data"), ASTIGD_DATABASE__URL=url,
                   ASTIGD_POOL__KIND="thread", ASTIGD_SCOPES_FILE=str(inventory),
                   ASTIGD_JOBS__LEASE_TTL_S="2", PYTHONUNBUFFERED="1")  # fmt: skip
        service = Service(env, free_port(), tmp_path)
        try:
            yield service
        finally:
            service.stop()


def wait_for(check, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_job_killed_mid_run_is_interrupted_and_its_scope_restored_on_restart(
    service, simulator_url
):
    key = next(line for line in service.start() if line.startswith("astigd_"))
    with httpx.Client(base_url=f"{service.url}api/v1", headers={"X-API-Key": key}) as api:
        check_crash_recovery(service, api, simulator_url)


def check_crash_recovery(service: Service, api: httpx.Client, simulator_url: str) -> None:
    job = api.post("/scopes/sim/jobs", json=CALIBRATE).json()
    start = wait_for(lambda: api.get(f"/jobs/{job['id']}").json()["start_snapshot"])

    def stig_moved():
        events = api.get(f"/jobs/{job['id']}/events").json()
        moved = [e for e in events if e["kind"] == "move" and e["payload"]["what"] == "stigmator"]
        return moved or None

    wait_for(stig_moved)
    service.kill()
    stig_now = httpx.get(f"{simulator_url}/v1/objective_stigmator").json()
    assert list(stig_now) != pytest.approx(start["stig"], abs=1e-3)  # left displaced

    service.start()
    ended = wait_for(lambda: (j := api.get(f"/jobs/{job['id']}").json())["state"] != "running"
                     and j or None)  # fmt: skip
    assert ended["state"] == "interrupted" and "restored" in ended["error"]
    state = api.get("/scopes/sim/state").json()
    assert [state["stig_x"], state["stig_y"]] == pytest.approx(start["stig"], abs=2e-3)
    assert state["defocus_nm"] == pytest.approx(start["defocus_nm"], abs=5.0)
    kinds = [e["kind"] for e in api.get(f"/jobs/{job['id']}/events").json()]
    assert kinds[-2:] == ["restore", "state"]
