"""A running service for the clients and examples: `astigd simulator serve` on one loopback
port, and `astigd serve` on another, driving it as a Thermo scope over temscript's protocol.

The scope is calibrated through the API (stigmator response, then a lens sweep), as a facility
does each morning, so compensation and advice have what they need.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import yaml

from astigd.client import AstigdClient
from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from tests.api.conftest import SIMULATED_DATE
from tests.database import fresh_database
from tests.processes import free_port, running, wait_for_http, wait_for_line

SCOPE_ID = "krios-sim"
SEED = 0
CALIBRATION = {"exposure_s": 4.0}
# Corrected at the reference 2.5 µm first (a sweep through half a micron of astigmatism would
# measure K poorly), then 7 steps of 2 frames over 3 µm: K good enough to compensate 2 µm away.
SWEEP = {"defocus_start_nm": 1000.0, "defocus_stop_nm": 4000.0, "defocus_step_nm": 500.0,
         "frames_per_step": 2, "exposure_s": 4.0, "correct_first": True,
         "correction": {"exposure_s": 4.0, "frames": 2}}  # fmt: skip


@dataclass(frozen=True)
class Service:
    """Where the running service and its simulated scope answer, and an admin key."""

    url: str
    key: str
    simulator_url: str
    scope_id: str = SCOPE_ID

    def client(self) -> AstigdClient:
        return AstigdClient(self.url, self.key, timeout_s=120.0)

    def truth(self) -> dict:
        return httpx.get(f"{self.simulator_url}/v1/astigd/sim/truth").json()


def inventory(simulator_url: str) -> dict:
    """The scope as a site would declare it: a Thermo scope with its calibrated pixel sizes and
    anisotropic magnification (read here from the simulator of the same seed)."""
    table = SimulatedMicroscope(SimulatorConfig(seed=SEED)).state.table
    rows = [{"mag_index": index, "pixel_size_A": mag.pixel_size_A,
             "aniso": {"scale_major": mag.aniso.scale_major, "scale_minor": mag.aniso.scale_minor,
                       "angle_deg": mag.aniso.angle_deg}}
            for index, mag in table.items()]  # fmt: skip
    entry = {"id": SCOPE_ID, "driver": "thermo", "address": simulator_url,
             "optics": {"magnifications": rows}}  # fmt: skip
    return {"scopes": [entry]}


def clean_env(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ASTIGD_")}
    return {**env, "PYTHONUNBUFFERED": "1", **settings}


@pytest.fixture(scope="package")
def service(tmp_path_factory) -> Iterator[Service]:
    """The simulator and the API as processes, the scope calibrated through the API."""
    folder = tmp_path_factory.mktemp("service")
    sim_port, api_port = free_port(), free_port()
    simulator_url = f"http://127.0.0.1:{sim_port}"
    sim_command = ["simulator", "serve", "--port", str(sim_port), "--seed", str(SEED),
                   "--date", SIMULATED_DATE, "--time-scale", "0", "--frame-px", "512"]  # fmt: skip
    scopes_file = folder / "scopes.yaml"
    scopes_file.write_text(yaml.safe_dump(inventory(simulator_url)))
    with (
        running(sim_command, clean_env(), folder / "simulator.log"),
        fresh_database(folder, "clients") as database_url,
    ):
        wait_for_http(f"{simulator_url}/v1/astigd/optics", "the simulator never answered")
        env = clean_env(ASTIGD_DATA_DIR=str(folder / "data"), ASTIGD_DATABASE__URL=database_url,
                        ASTIGD_SCOPES_FILE=str(scopes_file), ASTIGD_POOL__KIND="thread",
                        ASTIGD_POOL__WORKERS="2")  # fmt: skip
        api_command = ["serve", "--host", "127.0.0.1", "--port", str(api_port)]
        with running(api_command, env, folder / "serve.log") as (_, lines):
            key = wait_for_line(lines, "astigd_", [])
            url = f"http://127.0.0.1:{api_port}"
            wait_for_http(f"{url}/readyz", "astigd serve never became ready")
            yield Service(url, key, simulator_url)


@pytest.fixture(scope="package")
def calibrated(service: Service) -> Service:
    """The service after today's stigmator calibration and lens sweep, run through the API."""
    with service.client() as client:
        client.run_job(service.scope_id, "calibrate_stigmators", CALIBRATION)
        client.run_job(service.scope_id, "defocus_sweep", SWEEP)
    return service
