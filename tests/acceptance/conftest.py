"""A service on the in-process simulated scope, driven over HTTP, with the simulator's truth.

Everything the tests ask of astigd goes through /api/v1. What they do to the simulated world
(an astigmatism jump, a stale calibration, an injected fault) and how they score the outcome
(the simulator's truth) goes around it, as it would at a real scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from astigd.app.main import create_app
from astigd.app.procedures.stigmator_calibration import KIND
from astigd.app.procedures.store import DbCalibrationStore
from astigd.drivers.simulator.config import LensStatistics, SimulatorConfig
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.seeding import rotation
from astigd.drivers.simulator.truth import truth_report
from tests.api.conftest import make_settings
from tests.jobs.conftest import submit, wait_final

SCOPE = "sim"
JOB_TIMEOUT_S = 300.0


def inventory_yaml(
    microscope: SimulatedMicroscope, declare_aniso: bool, call_timeout_s: float | None = None
) -> dict[str, Any]:
    """Return an inventory declaring each magnification's pixel size, and its anisotropy if asked,
    as a site that calibrated them on gold would (and the scope's call timeout, if given)."""
    rows = []
    for index, mag in microscope.state.table.items():
        row: dict[str, Any] = {"mag_index": index, "pixel_size_A": mag.pixel_size_A}
        if declare_aniso:
            aniso = mag.aniso
            row["aniso"] = {"scale_major": aniso.scale_major, "scale_minor": aniso.scale_minor,
                            "angle_deg": aniso.angle_deg}  # fmt: skip
        rows.append(row)
    entry = {"id": SCOPE, "driver": "simulator", "optics": {"magnifications": rows}}
    if call_timeout_s is not None:
        entry["call_timeout_s"] = call_timeout_s
    return {"scopes": [entry]}


class Service:
    """The running service, a control key, and the simulated world behind it."""

    def __init__(self, client: TestClient, control: dict[str, str]) -> None:
        self.client, self.control = client, control
        handle = client.app.state.scopes[SCOPE]
        self.microscope: SimulatedMicroscope = handle.simulator
        self.scope = handle.get()
        self.store = DbCalibrationStore(client.app.state.sessions, SCOPE)

    # --- through the API -----------------------------------------------------------------
    def submit(self, procedure: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a job to its end and return it, whatever its final state."""
        response = submit(self.client, self.control, procedure, params)
        assert response.status_code == 201, response.text
        return wait_final(self.client, self.control, response.json()["id"], JOB_TIMEOUT_S)

    def run(self, procedure: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a job that must succeed; return its result."""
        job = self.submit(procedure, params)
        assert job["state"] == "succeeded", job["error"]
        return job["result"]

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"/api/v1{path}", params=params, headers=self.control)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.control)
        assert response.status_code == 200, response.text
        return response.json()

    def set_defocus(self, defocus_nm: float, compensate: bool = False) -> Any:
        return self.post(f"/scopes/{SCOPE}/defocus", {"defocus_nm": defocus_nm,
                                                      "compensate": compensate})  # fmt: skip

    def state(self) -> dict[str, Any]:
        return self.get(f"/scopes/{SCOPE}/state")

    # --- the simulated world ---------------------------------------------------------------
    def truth(self) -> dict[str, Any]:
        return truth_report(self.microscope)

    def astig_nm(self) -> float:
        return float(self.truth()["astig_nm"])

    def jump_astig_to(self, target_vec_nm) -> None:
        """Make the lens's astigmatism jump so that the true astigmatism is the target."""
        now = np.asarray(self.truth()["astig_vec_nm"])
        self.microscope.state.steps_nm = self.microscope.state.steps_nm + (target_vec_nm - now)

    def store_calibration(self, matrix_nm_per_unit: np.ndarray) -> int:
        """Append a stigmator calibration at the current optics, as if a job had measured it."""

        async def save() -> int:
            record = {"matrix_nm_per_unit": np.asarray(matrix_nm_per_unit).tolist(),
                      "residual_rms_nm": 0.0, "n_probes": 0}  # fmt: skip
            return await self.store.save(KIND, await self.scope.snapshot(), record)

        return self.client.portal.call(save)

    def true_response(self, gain: float = 1.0, turn_deg: float = 0.0) -> np.ndarray:
        """Return the true stigmator response, scaled and turned in doubled-angle space."""
        return gain * rotation(turn_deg) @ np.array(self.truth()["stigmator_response_nm_per_unit"])


def service_for(
    db_url, tmp_path, seed: int, aniso_percent=None, declare_aniso=True, call_timeout_s=None
):
    """Return a TestClient context for a service on a seeded full-speed simulated scope."""
    lens = LensStatistics(**({} if aniso_percent is None else {"aniso_percent": aniso_percent}))
    world = SimulatedMicroscope(SimulatorConfig(seed=seed, lens=lens))
    scopes_file = tmp_path / "scopes.yaml"
    scopes_file.write_text(yaml.safe_dump(inventory_yaml(world, declare_aniso, call_timeout_s)))
    simulator = {"time_scale": 0.0, "frame_px": 1024, "seed": seed, "lens": lens.model_dump()}
    jobs = {"lease_ttl_s": 5.0, "schedule_poll_s": 3600.0}
    settings = make_settings(
        db_url, tmp_path, simulator=simulator, jobs=jobs, scopes_file=str(scopes_file)
    )
    return TestClient(create_app(settings))


@pytest.fixture
def make_service(db_url, tmp_path, clean_env, control) -> Iterator:
    """Start services: make_service(seed, aniso_percent=None, declare_aniso=True,
    call_timeout_s=None)."""
    contexts: list[TestClient] = []

    def start(seed: int, aniso_percent=None, declare_aniso=True, call_timeout_s=None) -> Service:
        folder = tmp_path / f"service{len(contexts)}"
        folder.mkdir()
        client = service_for(db_url, folder, seed, aniso_percent, declare_aniso, call_timeout_s)
        contexts.append(client)
        return Service(client.__enter__(), control)

    yield start
    for client in contexts:
        client.__exit__(None, None, None)
