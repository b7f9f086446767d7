"""temscript's own endpoints, forwarded to a temscript microscope as temscript's server does."""

from __future__ import annotations

from typing import Any

from temscript.server import MicroscopeHandler

from astigd.drivers.scope_pc.calls import MicroscopeCalls
from astigd.drivers.temscript_server.errors import UnknownNameError

GETTABLE = frozenset(MicroscopeHandler.GET_V1_FORWARD)  # the names temscript's server forwards
SETTABLE = frozenset(MicroscopeHandler.PUT_V1_FORWARD)


class TemscriptCalls:
    """get_<name>/set_<name> and the calls with their own endpoints, on the microscope thread."""

    def __init__(self, calls: MicroscopeCalls) -> None:
        self.calls = calls

    def get(self, name: str) -> Any:
        """Return temscript's get_<name> (stem_available: is_stem_available)."""
        if name == "stem_available":
            return self.calls.run(lambda m: m.is_stem_available())
        if name not in GETTABLE:
            raise UnknownNameError(f"Unknown endpoint: '{name}'")
        return self.calls.run(lambda m: getattr(m, f"get_{name}")())

    def put(self, name: str, value: Any) -> None:
        """Apply temscript's set_<name>; column valves may be closed remotely, never opened."""
        if name == "column_valves_open":
            if value:
                raise ValueError("Opening of column valves is prohibited.")
            return self.calls.run(lambda m: m.set_column_valves_open(False))
        if name not in SETTABLE:
            raise UnknownNameError(f"Unknown endpoint: '{name}'")
        self.calls.run(lambda m: getattr(m, f"set_{name}")(value))

    def get_camera_param(self, name: str) -> dict[str, Any]:
        """Return a camera's acquisition parameters."""
        return self.calls.run(lambda m: m.get_camera_param(name))

    def set_camera_param(self, name: str, values: dict[str, Any], ignore_errors: bool) -> None:
        """Set a camera's acquisition parameters."""
        self.calls.run(lambda m: m.set_camera_param(name, values, ignore_errors=ignore_errors))

    def move_stage(self, pos: dict[str, float], method: str) -> None:
        """Move the named stage axes."""
        self.calls.run(lambda m: m.set_stage_position(pos, method=method))

    def normalize(self, mode: str) -> None:
        """Normalize lenses."""
        self.calls.run(lambda m: m.normalize(mode))

    def acquire(self, *detectors: str) -> dict[str, Any]:
        """Expose the named detectors and return their images by name."""
        return self.calls.run(lambda m: m.acquire(*detectors))
