"""Build a guarded ``Scope`` on a Thermo microscope: over temscript's REST server or local COM."""

from __future__ import annotations

import sys
from typing import Any

from astigd.drivers.audit import AuditHook
from astigd.drivers.errors import DriverUnavailableError
from astigd.drivers.limits import ScopeLimits, ScopeTiming
from astigd.drivers.scope import Scope
from astigd.drivers.thermo import ThermoBackend, ThermoConfig, ThermoUnits
from astigd.drivers.thermo_extensions import Extensions, HttpExtensions


def thermo_remote_scope(
    host: str,
    port: int = 8080,
    *,
    config: ThermoConfig | None = None,
    limits: ScopeLimits | None = None,
    timing: ScopeTiming | None = None,
    audit: AuditHook | None = None,
) -> Scope:
    """Return a scope on ``temscript.RemoteMicroscope((host, port))`` plus the extensions.

    The socket timeout is long enough for the longest exposure; the scope's per-call
    timeouts are shorter and come from `timing`.
    """
    limits, timing = limits or ScopeLimits(), timing or ScopeTiming()
    socket_timeout_s = timing.acquire_timeout_s + limits.exposure_max_s

    def connect() -> Any:
        from temscript import RemoteMicroscope

        return RemoteMicroscope((host, port), timeout=socket_timeout_s)

    extensions = HttpExtensions(f"http://{host}:{port}", timeout_s=timing.call_timeout_s)
    backend = ThermoBackend(connect, extensions, config)
    name = f"thermo@{host}:{port}"
    return Scope(backend, ThermoUnits(), name=name, limits=limits, timing=timing, audit=audit)


def thermo_local_scope(
    *,
    extensions: Extensions | None = None,
    config: ThermoConfig | None = None,
    limits: ScopeLimits | None = None,
    timing: ScopeTiming | None = None,
    audit: AuditHook | None = None,
) -> Scope:
    """Return a scope on the local COM ``temscript.Microscope`` (Windows scope PC only)."""
    if sys.platform != "win32":
        raise DriverUnavailableError("temscript's local COM microscope needs Windows")

    def connect() -> Any:
        from temscript import Microscope

        return Microscope()

    backend = ThermoBackend(connect, extensions, config)
    return Scope(
        backend, ThermoUnits(), name="thermo-local", limits=limits, timing=timing, audit=audit
    )
