"""A simulated scope with its truth, a pool fitter, the DB calibration store and an event log."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from astigd.app.core.inventory import AnisoMagSpec, MagnificationOptics, OpticsDefaults
from astigd.app.procedures.optics import pool_fitter
from astigd.app.procedures.recording import db_measurement_recorder
from astigd.app.procedures.runtime import ProcedureRuntime, runtime_for
from astigd.app.procedures.stigmator_calibration import KIND
from astigd.app.procedures.store import DbCalibrationStore
from astigd.drivers.limits import ScopeTiming
from astigd.drivers.scope import Scope
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.seeding import rotation
from astigd.drivers.simulator.truth import truth_report

SCOPE_ID = "sim"
TIMING = ScopeTiming(
    call_timeout_s=5.0, acquire_timeout_s=20.0, busy_retries=2, busy_backoff_s=0.001, settle_s=0.0
)


def declared_optics(microscope: SimulatedMicroscope, aniso: bool = True) -> OpticsDefaults:
    """Return the inventory optics of the simulated scope, declaring each mag's anisotropy."""
    config, rows = microscope.config, []
    for index, mag in microscope.state.table.items():
        spec = AnisoMagSpec(scale_major=mag.aniso.scale_major, scale_minor=mag.aniso.scale_minor,
                            angle_deg=mag.aniso.angle_deg) if aniso else None  # fmt: skip
        rows.append(MagnificationOptics(mag_index=index, magnification=mag.magnification,
                                        pixel_size_A=mag.pixel_size_A, aniso=spec))  # fmt: skip
    return OpticsDefaults(kv=config.kv, cs_mm=config.cs_mm, magnifications=tuple(rows))


class Rig:
    """One simulated scope driven by procedures, with its truth at hand."""

    def __init__(self, microscope: SimulatedMicroscope, scope: Scope, sessions, executor) -> None:
        self.microscope, self.scope, self.sessions = microscope, scope, sessions
        self.executor = executor
        self.store = DbCalibrationStore(sessions, SCOPE_ID)
        self.declare_aniso(True)
        self.record = db_measurement_recorder(sessions, SCOPE_ID)
        self.events: list[tuple[str, dict[str, Any]]] = []

    def declare_aniso(self, declared: bool) -> None:
        """Fit with (or without) the magnifications' anisotropy declared in the inventory."""
        optics = declared_optics(self.microscope, declared)
        self.fit = pool_fitter(self.executor, optics, calibrations=self.store)

    def truth(self) -> dict[str, Any]:
        return truth_report(self.microscope)

    def astig_truth_nm(self) -> float:
        return float(self.truth()["astig_nm"])

    def response_truth(self) -> np.ndarray:
        return np.array(self.truth()["stigmator_response_nm_per_unit"])

    async def aim(self, target_nm) -> None:
        """Set the stigmators so that the true astigmatism is the target vector."""
        truth = self.truth()
        step = np.linalg.solve(self.response_truth(), np.asarray(target_nm) - truth["astig_vec_nm"])
        await self.scope.walk_stigmator(*(np.asarray(truth["stig_commanded"]) + step))

    async def save_true_calibration(self, gain: float = 1.0, turn_deg: float = 0.0) -> int:
        """Store the true response, optionally scaled and turned (doubled-angle space)."""
        matrix = gain * rotation(turn_deg) @ self.response_truth()
        record = {"matrix_nm_per_unit": matrix.tolist(), "residual_rms_nm": 0.0, "n_probes": 0}
        return await self.store.save(KIND, await self.scope.snapshot(), record)

    async def runtime(self) -> ProcedureRuntime:
        """Return a fresh runtime (start snapshot now); its events go to self.events."""
        self.events = []

        async def sink(kind: str, payload: dict[str, Any]) -> None:
            json.dumps(payload, allow_nan=False)  # every event is strict JSON
            self.events.append((kind, payload))

        parts = {"fit": self.fit, "calibrations": self.store, "events": sink, "record": self.record,
                 "executor": self.executor}  # fmt: skip
        return await runtime_for(self.scope, SCOPE_ID, **parts)

    @staticmethod
    def json_ready(result: dict[str, Any]) -> dict[str, Any]:
        """Return a result after checking it is strict JSON."""
        return json.loads(json.dumps(result, allow_nan=False))

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.events if name == kind]
