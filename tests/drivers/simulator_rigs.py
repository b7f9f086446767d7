"""Conformance rigs on the simulated scope: in-process, and the Thermo driver over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.connect import simulated_scope
from astigd.drivers.simulator.faults import FaultSpec
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.server import ServerThread
from astigd.drivers.thermo_connect import thermo_remote_scope
from tests.drivers.rig import FAST, ScopeRig

INSTANT = SimulatorConfig(seed=7, timing=Timing(time_scale=0.0))
OVER_HTTP = replace(FAST, call_timeout_s=2.0)  # a fresh loopback connection per call, on busy CI


class SimulatorFaults:
    """The rig's FaultInjector, through the simulator's own fault specs."""

    def __init__(self, microscope: SimulatedMicroscope) -> None:
        self.faults = microscope.faults

    def busy(self, calls: int) -> None:
        self.faults.arm(FaultSpec(kind="busy", count=calls))

    def hang(self, seconds: float) -> None:
        self.faults.arm(FaultSpec(kind="timeout", delay_s=seconds))

    def disconnect(self) -> None:
        self.faults.arm(FaultSpec(kind="drop", count=None))

    def clear(self) -> None:
        self.faults.clear()


def simulator_rig_for(microscope: SimulatedMicroscope, scope, audit: list) -> ScopeRig:
    """Return a rig whose vendor views read the simulated microscope directly."""
    state = microscope.state
    return ScopeRig(
        scope=scope,
        faults=SimulatorFaults(microscope),
        vendor_stigmator=lambda: state.stigmator.commanded,
        vendor_defocus_nm=state.defocus_nm,
        vendor_beam_tilt_mrad=lambda: state.rotation_center_mrad,
        stigmator_writes=lambda: list(state.stigmator.writes),
        mag_indices=(3, 7),
        audit=audit,
    )


@pytest.fixture
async def simulator_rig() -> AsyncIterator[ScopeRig]:
    """The simulated scope in this process."""
    microscope, audit = SimulatedMicroscope(INSTANT), []
    scope = simulated_scope(microscope, timing=FAST, audit=audit.append)
    rig = simulator_rig_for(microscope, scope, audit)
    yield rig
    rig.faults.clear()
    await scope.close()


@pytest.fixture
async def thermo_simulator_rig() -> AsyncIterator[ScopeRig]:
    """The Thermo driver (temscript's RemoteMicroscope) over HTTP to the simulator's server."""
    microscope, audit = SimulatedMicroscope(INSTANT), []
    with ServerThread(microscope) as server:
        host, port = server.address
        scope = thermo_remote_scope(host, port, timing=OVER_HTTP, audit=audit.append)
        rig = simulator_rig_for(microscope, scope, audit)
        yield rig
        rig.faults.clear()
        await scope.close()
