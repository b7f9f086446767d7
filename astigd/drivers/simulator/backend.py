"""The simulated scope in-process: astigd's synchronous vendor backend over the simulator.

Its vendor units are astigd's own (normalized stigmator, nm underfocus-positive, mrad), and
each call passes through the fault injector under the endpoint name the Thermo driver would
use over HTTP, so the same fault specs work in both places.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from astigd.drivers.errors import DisconnectedError, ScopeBusyError, VendorError
from astigd.drivers.records import Illumination, MagEntry, ScopeIdentity
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.vendor_errors import SimulatorBusyError

T = TypeVar("T")
VENDOR = "astigd simulator"


class SimulatorBackend:
    """Raw calls on a SimulatedMicroscope, with injected faults and typed errors."""

    def __init__(self, microscope: SimulatedMicroscope | None = None) -> None:
        """Wrap a simulated microscope (a default one if none is given)."""
        self.microscope = m = microscope or SimulatedMicroscope()
        self._state = m.state

    def _call(self, method: str, endpoint: str, fn: Callable[[], T]) -> T:
        """Run fn as the request `method /v1/endpoint`: faults first, then the scope."""
        for fault in self.microscope.inject(method, endpoint):
            if fault.kind == "timeout":
                self.microscope.faults.hold(fault.delay_s)
            elif fault.kind == "drop":
                raise DisconnectedError(f"{endpoint}: connection dropped (injected)")
            elif fault.kind == "busy":
                raise ScopeBusyError(f"{endpoint}: microscope busy (injected)")
            else:
                raise VendorError(f"{endpoint}: value out of range (injected)")
        try:
            return fn()
        except SimulatorBusyError as exc:
            raise ScopeBusyError(str(exc)) from exc
        except (KeyError, ValueError) as exc:
            raise VendorError(f"{endpoint}: {exc}") from exc

    def _get(self, endpoint: str, fn: Callable[[], T]) -> T:
        """Run a read as one atomic scope operation."""
        return self._call("GET", endpoint, lambda: self._atomic(fn))

    def _put(self, endpoint: str, fn: Callable[[], Any]) -> None:
        """Run a write as one atomic scope operation."""
        self._call("PUT", endpoint, lambda: self._atomic(fn))

    def _atomic(self, fn: Callable[[], T]) -> T:
        """Run fn under the scope's lock; refused while the scope is busy."""
        with self.microscope.operation():
            return fn()

    def identity(self) -> ScopeIdentity:
        """Return vendor and model."""
        model = self.microscope.config.microscope_id
        return self._get("family", lambda: ScopeIdentity(VENDOR, model))

    def get_ht_kv(self) -> float:
        """Return the high tension in kV."""
        return self._get("voltage", lambda: self.microscope.config.kv)

    def get_illumination(self) -> Illumination:
        """Return the probe mode."""
        return self._get("illumination_mode", lambda: Illumination(self._state.probe_mode))

    def get_stigmator(self) -> tuple[float, float]:
        """Return the commanded objective stigmator."""
        return self._get("objective_stigmator", lambda: self._state.stigmator.commanded)

    def set_stigmator(self, raw: Sequence[float]) -> None:
        """Command the objective stigmator."""
        self._put("objective_stigmator", lambda: self._state.set_stigmator(raw))

    def get_defocus(self) -> float:
        """Return the defocus in nm, underfocus positive."""
        return self._get("astigd/defocus_m", self._state.defocus_nm)

    def set_defocus(self, raw: float) -> None:
        """Set the defocus in nm, underfocus positive."""
        self._put("astigd/defocus_m", lambda: self._state.set_defocus_nm(float(raw)))

    def get_mag_index(self) -> int:
        """Return the magnification index."""
        return self._get("magnification_index", lambda: self._state.mag_index)

    def set_mag_index(self, index: int) -> None:
        """Select a magnification (blocks while the lenses normalize)."""
        self._call("PUT", "magnification_index", lambda: self.microscope.set_mag_index(index))

    def magnification_table(self) -> Sequence[MagEntry]:
        """Return the published magnification table."""
        rows = [MagEntry(**mag.published()) for mag in self._state.table.values()]
        return self._get("astigd/magnification_table", lambda: rows)

    def get_beam_tilt(self) -> tuple[float, float]:
        """Return the rotation centre in mrad."""
        return self._get("astigd/rotation_center_mrad", lambda: self._state.rotation_center_mrad)

    def set_beam_tilt(self, raw: Sequence[float]) -> None:
        """Set the rotation centre in mrad."""
        self._put("astigd/rotation_center_mrad", lambda: self._state.set_rotation_center(raw))

    def acquire(self, exposure_s: float, binning: int) -> np.ndarray:
        """Set exposure and binning, expose and return the frame (counts)."""
        camera = self.microscope.camera
        params = {"exposure(s)": exposure_s, "binning": binning}
        self._put(f"camera_param/{camera.spec.name}", lambda: camera.set_params(params))
        frames = self._call("GET", "acquire", lambda: self.microscope.acquire(camera.spec.name))
        return frames[camera.spec.name]

    def close(self) -> None:
        """Do nothing: there is no connection to release."""
