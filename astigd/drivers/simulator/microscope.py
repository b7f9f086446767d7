"""The simulated microscope: state, console, camera and faults behind one lock, with busy time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from astigd.drivers.simulator.camera import Camera
from astigd.drivers.simulator.clock import SimClock
from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.console import Console
from astigd.drivers.simulator.faults import FRAME_KINDS, TRANSPORT_KINDS, FaultInjector, FaultSpec
from astigd.drivers.simulator.scope_state import ScopeState
from astigd.drivers.simulator.vendor_errors import (
    OutOfRangeError,
    SimulatorBusyError,
    UnknownNameError,
)

NORMALIZE_MODES = [
    "SPOTSIZE",
    "INTENSITY",
    "CONDENSER",
    "MINI_CONDENSER",
    "OBJECTIVE",
    "PROJECTOR",
    "OBJECTIVE_CONDENSER",
    "OBJECTIVE_PROJECTOR",
    "ALL",
]


class SimulatedMicroscope:
    """One simulated scope; every public call is atomic and refused while the scope is busy."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.clock = SimClock(self.config.timing.time_scale)
        self.state = ScopeState(self.config, self.clock)
        self.console = Console()
        self.camera = Camera(self.config)
        self.faults = FaultInjector(self.config.faults, self.config.seed)
        self._lock = threading.RLock()
        self._busy_until = 0.0
        self._frame_faults: list[str] = []

    @contextmanager
    def operation(self, check_busy: bool = True) -> Iterator[None]:
        """Hold the scope for one call; raise SimulatorBusyError while it normalizes or exposes."""
        with self._lock:
            if check_busy and time.monotonic() < self._busy_until:
                raise SimulatorBusyError("the microscope is busy")
            yield

    def _occupy(self, simulated_s: float) -> float:
        """Mark the scope busy for a simulated duration and return the real one."""
        real_s = self.config.timing.real_s(simulated_s)
        self._busy_until = time.monotonic() + real_s
        return real_s

    def inject(self, method: str, endpoint: str) -> list[FaultSpec]:
        """Fire faults for a request; apply the optics and frame faults, return transport ones."""
        fired = self.faults.fire(method, endpoint)
        with self._lock:
            for spec in fired:
                if spec.kind == "sudden_drift":
                    self.state.steps_nm = self.state.steps_nm + np.asarray(spec.drift_vec_nm)
                elif spec.kind == "focus_jump":
                    self.state.height_jump_nm += spec.focus_jump_nm
                elif spec.kind == "dim_beam":
                    self.camera.beam_fraction = spec.dose_fraction
                elif spec.kind in FRAME_KINDS:
                    self._frame_faults.append(spec.kind)
        return [spec for spec in fired if spec.kind in TRANSPORT_KINDS]

    def set_mag_index(self, index: int) -> None:
        """Select a magnification; the lenses normalize for a while (busy)."""
        with self.operation():
            self.state.set_mag_index(index)
            wait_s = self._occupy(self.config.timing.normalize_s)
        time.sleep(wait_s)

    def normalize(self, mode: str = "ALL") -> None:
        """Normalize lenses (busy for a while); normalizing projectors redraws their astigmatism."""
        if mode not in NORMALIZE_MODES:
            raise OutOfRangeError(f"unknown normalization mode {mode!r}")
        with self.operation():
            if "PROJECTOR" in mode or mode == "ALL":
                self.state.redraw_revisit()
            wait_s = self._occupy(self.config.timing.normalize_s)
        time.sleep(wait_s)

    def acquire(self, *detectors: str) -> dict[str, np.ndarray]:
        """Expose the named cameras (only one exists) and return their frames by name."""
        with self.operation():
            unknown = set(detectors) - {self.camera.spec.name}
            if unknown:
                raise UnknownNameError(f"unknown detectors: {sorted(unknown)}")
            if not detectors:
                return {}
            mag = self.state.table[self.state.mag_index]
            exposure = self.camera.exposure(self.state.truth(), mag)
            specimen = self._specimen()
            side, seed = self.camera.frame_px(), self.camera.next_seed()
            area = self.camera.area_seed(self.state.stage)
            wait_s = self._occupy(self.camera.params["exposure(s)"])
        time.sleep(wait_s)
        frame = self.camera.expose(exposure, side, seed, specimen, area)
        return {self.camera.spec.name: frame}

    def _specimen(self) -> str | None:
        """Return what the next frame shows: "none" (no beam), "blank" (no rings) or default."""
        fault = self._frame_faults.pop(0) if self._frame_faults else None
        if fault == "blank_frame" or self.console.get("beam_blanked"):
            return "none"
        return "blank" if fault == "no_thon_rings" else None
