"""Drive a JEOL TEM through PyJEM's ``TEM3`` (TEMCenter), imported lazily.

Vendor calls used (each reply is a tuple ending in a status code, 0 = success, as TEM3 does):
``Def3.GetOLs/SetOLs`` (objective stigmator, DAC counts), ``Def3.GetCLA2/SetCLA2`` (beam tilt
about the rotation centre), ``Lens3.GetOLc/GetOLf/SetOLc/SetOLf`` (objective focus, coarse and
fine), ``EOS3.GetCurrentMagSelectorID/SetSelector`` (magnification index), ``EOS3.GetAlpha``
and ``HT3.GetHtValue`` (volts). Frames come from a site-provided camera callable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from astigd.drivers.audit import AuditHook
from astigd.drivers.errors import (
    DisconnectedError,
    DriverUnavailableError,
    ScopeBusyError,
    ScopeError,
    ScopeTimeoutError,
    VendorError,
)
from astigd.drivers.jeol_units import Counts, JeolConfig, JeolUnits
from astigd.drivers.limits import ScopeLimits, ScopeTiming
from astigd.drivers.records import Illumination, MagEntry, ScopeIdentity
from astigd.drivers.scope import Scope

FrameSource = Callable[[float, int], np.ndarray]


def load_tem3() -> ModuleType:
    """Import ``PyJEM.TEM3``, or say clearly that PyJEM is missing."""
    try:
        return importlib.import_module("PyJEM.TEM3")
    except ImportError as exc:
        raise DriverUnavailableError(
            "PyJEM is not installed. It is not on PyPI: install JEOL's PyJEM "
            "(github.com/PyJEM/PyJEM) on the TEMCenter PC to drive a JEOL scope."
        ) from exc


class JeolBackend:
    """Raw TEM3 calls in DAC counts; one TEM3 handle set, created on the vendor thread."""

    def __init__(self, tem3: ModuleType, config: JeolConfig, camera: FrameSource | None = None):
        """Use the TEM3 module, the site config and an optional camera callable."""
        self._tem3, self.config, self._camera = tem3, config, camera
        self._handles: dict[str, Any] = {}

    def _call(self, unit: str, method: str, *args: Any) -> tuple:
        """Call ``TEM3.<unit>().<method>(*args)``; return the values before the status code."""
        try:
            if unit not in self._handles:
                self._handles[unit] = getattr(self._tem3, unit)()
            reply = getattr(self._handles[unit], method)(*args)
        except Exception as exc:
            raise _typed(f"{unit}.{method}", exc) from exc
        *values, status = reply if isinstance(reply, tuple | list) else (reply,)
        self._check(f"{unit}.{method}", status)
        return tuple(values)

    def _check(self, call: str, status: int) -> None:
        """Raise the typed error for a non-zero TEM3 status code."""
        if status == 0:
            return
        if status in self.config.busy_codes:
            raise ScopeBusyError(f"{call}: TEMCenter busy (status {status})")
        if status in self.config.disconnected_codes:
            raise DisconnectedError(f"{call}: TEMCenter not connected (status {status})")
        raise VendorError(f"{call} returned status {status}")

    def identity(self) -> ScopeIdentity:
        """Return JEOL and the configured model (TEM3 does not report it)."""
        return ScopeIdentity("JEOL", self.config.model)

    def get_ht_kv(self) -> float:
        """Return the high tension in kV (TEM3 reports volts)."""
        return float(self._call("HT3", "GetHtValue")[0]) / 1000.0

    def get_illumination(self) -> Illumination:
        """Return the alpha selector."""
        return Illumination(alpha=int(self._call("EOS3", "GetAlpha")[0]))

    def get_stigmator(self) -> Counts:
        """Return OLs (x, y) counts."""
        x, y = self._call("Def3", "GetOLs")
        return int(x), int(y)

    def set_stigmator(self, raw: Counts) -> None:
        """Set OLs (x, y) counts."""
        self._call("Def3", "SetOLs", *raw)

    def get_defocus(self) -> Counts:
        """Return (OLc, OLf) counts."""
        return int(self._call("Lens3", "GetOLc")[0]), int(self._call("Lens3", "GetOLf")[0])

    def set_defocus(self, raw: Counts) -> None:
        """Set OLc (only when it changes) then OLf."""
        if int(self._call("Lens3", "GetOLc")[0]) != raw[0]:
            self._call("Lens3", "SetOLc", raw[0])
        self._call("Lens3", "SetOLf", raw[1])

    def get_mag_index(self) -> int:
        """Return the magnification selector index."""
        return int(self._call("EOS3", "GetCurrentMagSelectorID")[0])

    def set_mag_index(self, index: int) -> None:
        """Select a magnification by selector index."""
        self._call("EOS3", "SetSelector", int(index))

    def magnification_table(self) -> Sequence[MagEntry]:
        """Return the site's magnification table (with calibrated pixel sizes)."""
        if not self.config.magnification_table:
            raise VendorError("JeolConfig.magnification_table is empty: configure it")
        return self.config.magnification_table

    def get_beam_tilt(self) -> Counts:
        """Return CLA2 (x, y) counts."""
        x, y = self._call("Def3", "GetCLA2")
        return int(x), int(y)

    def set_beam_tilt(self, raw: Counts) -> None:
        """Set CLA2 (x, y) counts."""
        self._call("Def3", "SetCLA2", *raw)

    def acquire(self, exposure_s: float, binning: int) -> np.ndarray:
        """Expose through the site's camera callable."""
        if self._camera is None:
            raise VendorError("no camera configured for this JEOL scope")
        return np.asarray(self._camera(exposure_s, binning))

    def close(self) -> None:
        """Drop the TEM3 handles."""
        self._handles.clear()


def _typed(call: str, exc: Exception) -> ScopeError:
    """Map an exception raised inside PyJEM to a typed error."""
    if isinstance(exc, ScopeError):
        return exc
    if isinstance(exc, TimeoutError):
        return ScopeTimeoutError(f"{call}: {exc!r}")
    if isinstance(exc, OSError):
        return DisconnectedError(f"{call}: {exc!r}")
    return VendorError(f"{call}: {exc!r}")


def jeol_scope(
    config: JeolConfig,
    *,
    camera: FrameSource | None = None,
    tem3: ModuleType | None = None,
    limits: ScopeLimits | None = None,
    timing: ScopeTiming | None = None,
    audit: AuditHook | None = None,
    name: str = "jeol",
) -> Scope:
    """Return a guarded scope on PyJEM's TEM3 (imported now unless `tem3` is given)."""
    backend = JeolBackend(tem3 or load_tem3(), config, camera)
    units = JeolUnits(config)
    return Scope(backend, units, name=name, limits=limits, timing=timing, audit=audit)
