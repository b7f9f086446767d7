"""The deployment as local processes on loopback, started once for the suite.

A fresh PostgreSQL database, `dask scheduler`, two `astigd worker`s, `astigd simulator serve`
(reached as a thermo scope through the inventory) and `astigd serve` with
ASTIGD_POOL__SCHEDULER. Every process runs in its own process group and is stopped at the end,
even when a test or the start-up fails; the database is then dropped.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from tests.api.conftest import KEPT_ENV, SIMULATED_DATE
from tests.database import fresh_database, on_postgresql
from tests.integration.processes import Process
from tests.jobs.conftest import SIMULATOR
from tests.jobs.test_workflow_http import calibrated_inventory
from tests.processes import free_port, wait_for_http

START_TIMEOUT_S = 90.0
FRAME_PX = 1024  # with 512-pixel frames the 600 nm calibration probes failed to converge
NO_DASHBOARD = "127.0.0.1:0"  # a random port: dashboards are not used


@dataclass
class Deployment:
    """The running processes, their addresses, the admin key and a direct database engine."""

    folder: Path
    database: Engine
    scheduler: Process
    simulator: Process
    api: Process
    simulator_url: str
    api_url: str
    workers: list[Process] = field(default_factory=list)
    key: str = ""

    def start_api(self) -> list[str]:
        """Start `astigd serve` and wait until it is ready; return what it printed."""
        lines = self.api.start().wait_for_line("astigd: serving at")
        self.key = next((line for line in lines if line.startswith("astigd_")), self.key)
        wait_for_http(f"{self.api_url}/readyz", "astigd serve never became ready", START_TIMEOUT_S)
        return lines

    def start_simulator(self) -> None:
        """Start `astigd simulator serve` (afresh, from its seed) and wait until it answers."""
        self.simulator.start()
        wait_for_http(f"{self.simulator_url}/v1/astigd/optics", "the simulator never answered")

    def client(self) -> httpx.Client:
        """Return an HTTP client on /api/v1 with the admin key."""
        return httpx.Client(
            base_url=f"{self.api_url}/api/v1", headers={"X-API-Key": self.key}, timeout=30.0
        )


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if not on_postgresql():
        pytest.skip("the integration suite runs on PostgreSQL: set ASTIGD_TEST_DATABASE_URL")
    folder = tmp_path_factory.mktemp("deployment")
    with fresh_database(folder, "integration") as url:
        database = create_engine(url)
        processes: list[Process] = []
        try:
            yield start_deployment(folder, url, database, processes)
        finally:
            for process in reversed(processes):
                process.stop()
            database.dispose()


def start_deployment(
    folder: Path, database_url: str, database: Engine, processes: list[Process]
) -> Deployment:
    """Start every process (recorded in `processes` as soon as it is spawned) and wait."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("ASTIGD_") or name in KEPT_ENV}  # fmt: skip
    env["PYTHONUNBUFFERED"] = "1"
    scheduler_port, simulator_port, api_port = free_port(), free_port(), free_port()
    scheduler_address = f"tcp://127.0.0.1:{scheduler_port}"
    simulator_url = f"http://127.0.0.1:{simulator_port}"

    def spawn(name: str, *arguments: str, url: str = "") -> Process:
        process = Process(name, list(arguments), env, folder, url)
        processes.append(process.start())
        return process

    scheduler = spawn("scheduler", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                      str(scheduler_port), "--dashboard-address", NO_DASHBOARD)  # fmt: skip
    simulator = spawn("simulator", "astigd", "simulator", "serve", "--port", str(simulator_port),
                      "--seed", str(SIMULATOR["seed"]), "--date", SIMULATED_DATE,
                      "--time-scale", "0.1",
                      "--frame-px", str(FRAME_PX))  # fmt: skip
    workers = [worker(spawn, scheduler_address, index) for index in (1, 2)]
    inventory = calibrated_inventory(folder / "scopes.yaml", driver="thermo", address=simulator_url)
    api_env = {"ASTIGD_DATA_DIR": str(folder / "data"), "ASTIGD_DATABASE__URL": database_url,
               "ASTIGD_POOL__SCHEDULER": scheduler_address, "ASTIGD_SCOPES_FILE": inventory,
               "ASTIGD_JOBS__LEASE_TTL_S": "2"}  # fmt: skip
    api = Process("api", ["astigd", "serve", "--port", str(api_port)], {**env, **api_env}, folder)
    processes.append(api)
    deployment = Deployment(folder, database, scheduler, simulator, api, simulator_url,
                            f"http://127.0.0.1:{api_port}", workers)  # fmt: skip
    wait_for_port(scheduler_port)
    wait_for_http(f"{simulator_url}/v1/astigd/optics", "the simulator never answered")
    for process in workers:
        wait_for_log(process, "Registered to:")
    deployment.start_api()
    return deployment


def worker(spawn, scheduler_address: str, index: int) -> Process:
    """Spawn `astigd worker` number `index` on loopback; its url serves Prometheus /metrics."""
    name, port = f"worker{index}", free_port()
    return spawn(name, "astigd", "worker", scheduler_address, "--name", name, "--host",
                 "127.0.0.1", "--dashboard-address", f"127.0.0.1:{port}",
                 url=f"http://127.0.0.1:{port}")  # fmt: skip


def wait_for_port(port: int) -> None:
    """Wait until something accepts connections on a loopback port."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def wait_for_log(process: Process, text: str) -> None:
    """Wait until a process's log (its stderr) contains `text`."""
    log = process.folder / f"{process.name}.log"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        assert process.running(), f"{process.name} exited: {log.read_text()[-2000:]}"
        time.sleep(0.2)
    raise AssertionError(f"{process.name} never logged {text!r}")
