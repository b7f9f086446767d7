"""One guarded Scope per inventory entry, built at start-up and closed at shutdown.

`simulator` scopes run the simulated microscope in this process (settings.simulator), `thermo`
scopes talk to temscript's REST server at the entry's address, and `jeol` scopes are connected
lazily on first use, since PyJEM only exists on the TEMCenter PC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.core.config import SimulatorSettings
from astigd.app.core.inventory import Inventory, ScopeEntry
from astigd.app.scopes.audit import db_audit_hook
from astigd.drivers.audit import AuditHook
from astigd.drivers.jeol import jeol_scope
from astigd.drivers.jeol_units import JeolConfig
from astigd.drivers.scope import Scope
from astigd.drivers.simulator.config import CameraConfig, SimulatorConfig, Timing
from astigd.drivers.simulator.connect import simulated_scope
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.thermo import ThermoConfig
from astigd.drivers.thermo_connect import thermo_remote_scope

TEMSCRIPT_PORT = 8080


@dataclass
class ScopeHandle:
    """A scope of the inventory: its entry, its guarded Scope (built lazily if need be)."""

    entry: ScopeEntry
    connect: Callable[[], Scope]
    simulator: SimulatedMicroscope | None = None  # the in-process simulated microscope, if any
    scope: Scope | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # held while a job drives it

    @property
    def scope_id(self) -> str:
        """Return the inventory id."""
        return self.entry.id

    def get(self) -> Scope:
        """Return the guarded Scope, connecting it on first use."""
        if self.scope is None:
            self.scope = self.connect()
        return self.scope

    async def close(self) -> None:
        """Close the Scope if it was ever connected."""
        if self.scope is not None:
            await self.scope.close()
            self.scope = None


def build_registry(
    inventory: Inventory, sessions: sessionmaker[Session], simulator: SimulatorSettings
) -> dict[str, ScopeHandle]:
    """Return a handle per inventory entry; their audit hooks write to the database."""
    return {
        entry.id: _handle(entry, db_audit_hook(sessions, entry.id), simulator)
        for entry in inventory.scopes
    }


def _handle(entry: ScopeEntry, audit: AuditHook, simulator: SimulatorSettings) -> ScopeHandle:
    """Return the handle for one entry, by driver."""
    if entry.driver == "simulator":
        microscope = SimulatedMicroscope(_simulator_config(simulator))
        timing = entry.timing(settle_scale=simulator.time_scale)
        handle = ScopeHandle(entry, lambda: simulated_scope(microscope, timing=timing, audit=audit))
        handle.simulator = microscope
        handle.get()
        return handle
    if entry.driver == "thermo":
        host, port = host_port(entry.address)
        config = ThermoConfig(camera=entry.optics.camera) if entry.optics.camera else None
        connect = partial(
            thermo_remote_scope, host, port, config=config, timing=entry.timing(), audit=audit
        )
        handle = ScopeHandle(entry, connect)
        handle.get()
        return handle
    timing = entry.timing()
    return ScopeHandle(
        entry, lambda: jeol_scope(JeolConfig(), timing=timing, audit=audit, name=entry.id)
    )


def _simulator_config(settings: SimulatorSettings) -> SimulatorConfig:
    """Return the in-process simulator's config from the service settings."""
    pinned_day = {} if settings.date is None else {"date": settings.date}
    return SimulatorConfig(
        seed=settings.seed,
        timing=Timing(time_scale=settings.time_scale),
        camera=CameraConfig(frame_px=settings.frame_px),
        lens=settings.lens,
        specimen=settings.specimen,
        specimen_area=settings.specimen_area,
        **pinned_day,
    )


def host_port(address: str | None) -> tuple[str, int]:
    """Return host and port of a temscript address: `http://host:port`, `host:port` or `host`."""
    if not address:
        raise ValueError("a thermo scope needs an address (temscript server, http://host:port)")
    parts = urlsplit(address if "//" in address else f"//{address}")
    return parts.hostname or "127.0.0.1", parts.port or TEMSCRIPT_PORT


async def close_registry(handles: dict[str, ScopeHandle]) -> None:
    """Close every connected scope."""
    for handle in handles.values():
        await handle.close()
