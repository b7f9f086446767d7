"""The simulated microscope seen through temscript's method names and units (Titan flavour)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from astigd.drivers.simulator.camera import Camera
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.vendor_errors import OutOfRangeError, UnknownNameError

TEMSCRIPT_VERSION = "2.1.0"  # the protocol version served; clients require major >= 2
STAGE_LIMITS = {"x": (-1e-3, 1e-3), "y": (-1e-3, 1e-3), "z": (-3e-4, 3e-4), "a": (-1.2, 1.2)}
STATE_KEYS = [
    "family",
    "microscope_id",
    "version",
    "voltage",
    "stage_holder",
    "stage_position",
    "image_shift",
    "beam_shift",
    "beam_tilt",
    "projection_sub_mode",
    "projection_mode",
    "projection_mode_string",
    "magnification_index",
    "indicated_camera_length",
    "indicated_magnification",
    "defocus",
    "objective_excitation",
    "intensity",
    "condenser_stigmator",
    "objective_stigmator",
    "diffraction_shift",
    "screen_current",
    "screen_position",
    "spot_size_index",
    "illumination_mode",
    "beam_blanked",
    "stem_available",
    "instrument_mode",
    "condenser_mode",
    "illuminated_area",
    "convergence_angle",
    "probe_defocus",
]
STATE_NAMES = {"version": "temscript_version", "voltage": "voltage(kV)"}


class TemscriptView:
    """temscript's get_<name>/set_<name>; defocus in metres, overfocus positive."""

    def __init__(self, microscope: SimulatedMicroscope) -> None:
        self.m = m = microscope
        state, console, camera = m.state, m.console, m.camera
        self.getters: dict[str, Callable[[], Any]] = {
            "family": lambda: "TITAN",
            "microscope_id": lambda: m.config.microscope_id,
            "version": lambda: TEMSCRIPT_VERSION,
            "voltage": lambda: m.config.kv,
            "vacuum": lambda: {
                "status": "READY",
                "column_valves_open": console.get("column_valves_open"),
                "pvp_running": False,
                "gauges(Pa)": {},
            },
            "stage_holder": lambda: "SINGLE_TILT",
            "stage_status": lambda: "READY",
            "stage_limits": lambda: STAGE_LIMITS,
            "stage_position": lambda: dict(state.stage),
            "cameras": lambda: {camera.spec.name: camera.info()},
            "detectors": lambda: {camera.spec.name: camera.info()},
            "stem_detectors": dict,
            "stem_available": lambda: False,
            "stem_acquisition_param": lambda: {"image_size": "FULL", "binning": 1},
            "beam_tilt": lambda: state.df_tilt_rad,
            "projection_sub_mode": lambda: state.table[state.mag_index].mode,
            "projection_mode_string": lambda: state.table[state.mag_index].mode,
            "magnification_index": lambda: state.mag_index,
            "indicated_magnification": lambda: state.table[state.mag_index].magnification,
            "indicated_camera_length": lambda: 0,
            "defocus": lambda: -1e-9 * state.defocus_nm(),
            "objective_excitation": lambda: 87.5 - 1e-6 * state.defocus_nm(),
            "objective_stigmator": lambda: state.stigmator.commanded,
            "screen_current": lambda: 0.0 if console.get("beam_blanked") else 1.2e-9,
            "illumination_mode": lambda: state.probe_mode,
        }
        self.setters: dict[str, Callable[[Any], None]] = {
            "defocus": lambda value: state.set_defocus_nm(-1e9 * float(value)),
            "objective_stigmator": lambda value: state.set_stigmator(value),
            "illumination_mode": lambda value: state.set_probe_mode(str(value)),
            "beam_tilt": lambda value: setattr(state, "df_tilt_rad", _pair(value)),
        }

    def get(self, name: str) -> Any:
        """Return what temscript's get_<name> would, as one atomic operation."""
        with self.m.operation():
            if name in ("state", "optics_state"):
                return {STATE_NAMES.get(key, key): self._get(key) for key in STATE_KEYS}
            return self._get(name)

    def _get(self, name: str) -> Any:
        if name in self.getters:
            return self.getters[name]()
        if name in self.m.console:
            return self.m.console.get(name)
        raise UnknownNameError(f"Unknown endpoint: '{name}'")

    def put(self, name: str, value: Any) -> None:
        """Apply what temscript's set_<name> would; changing magnification takes time."""
        if name == "magnification_index":
            return self.m.set_mag_index(_index(value))
        with self.m.operation():
            if name in self.setters:
                return self.setters[name](value)
            if name in self.m.console:
                return self.m.console.set(name, value)
        raise UnknownNameError(f"Unknown endpoint: '{name}'")

    def get_camera_param(self, name: str) -> dict[str, Any]:
        """Return the named camera's acquisition parameters."""
        with self.m.operation():
            return dict(self._camera(name).params)

    def set_camera_param(self, name: str, values: dict[str, Any], ignore_errors: bool) -> None:
        """Set the named camera's acquisition parameters."""
        with self.m.operation():
            self._camera(name).set_params(dict(values), ignore_errors=ignore_errors)

    def _camera(self, name: str) -> Camera:
        if name != self.m.camera.spec.name:
            raise UnknownNameError(f"Unknown detector: '{name}'")
        return self.m.camera

    def normalize(self, mode: str) -> None:
        """Normalize lenses (busy for a while)."""
        self.m.normalize(mode)

    def acquire(self, *detectors: str) -> dict[str, np.ndarray]:
        """Expose the named cameras."""
        return self.m.acquire(*detectors)

    def move_stage(self, pos: dict[str, float], method: str = "GO") -> None:
        """Move the named stage axes, clipped to their limits, as temscript's NullMicroscope."""
        if method not in ("GO", "MOVE"):
            raise OutOfRangeError(f"unknown stage movement method {method!r}")
        with self.m.operation():
            for axis, value in pos.items():
                if axis in STAGE_LIMITS:
                    low, high = STAGE_LIMITS[axis]
                    self.m.state.stage[axis] = min(max(float(value), low), high)


def _pair(value: Any) -> tuple[float, float]:
    """Return a float (x, y) pair."""
    x, y = value
    return float(x), float(y)


def _index(value: Any) -> int:
    """Return a magnification index; reject non-integers."""
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise OutOfRangeError(f"magnification index must be an integer, got {value!r}")
    return int(value)
