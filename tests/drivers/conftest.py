"""Driver rigs for the conformance suite.

To run the suite against another driver, write one fixture returning a ``ScopeRig`` (see
``tests/drivers/rig.py``) and add its name to ``SCOPE_RIGS``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from temscript import NullMicroscope

from astigd.drivers.jeol import jeol_scope
from astigd.drivers.jeol_units import FocusRange, JeolConfig
from astigd.drivers.records import MagEntry
from astigd.drivers.scope import Scope
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.server import ServerThread
from astigd.drivers.thermo import ThermoBackend, ThermoConfig, ThermoUnits
from tests.drivers.rig import FAST, ScopeRig
from tests.drivers.scope_pc_rigs import (  # noqa: F401
    mag_table_file,
    scope_pc_server,
    thermo_scope_pc_rig,
)
from tests.drivers.simulator_rigs import simulator_rig, thermo_simulator_rig  # noqa: F401
from tests.drivers.thermo_fakes import FaultyProxy, MemoryExtensions, TemscriptFaults

SCOPE_RIGS = [
    "jeol_rig",
    "thermo_null_rig",
    "simulator_rig",
    "thermo_simulator_rig",
    "thermo_scope_pc_rig",
]

FAKE_PYJEM = Path(__file__).parent / "fake_pyjem"

JEOL_FOCUS = (
    FocusRange(0, 4, nm_per_step=4.0, reference_steps=32768 * 32 + 32768),
    FocusRange(5, 8, nm_per_step=1.5, reference_steps=32768 * 32 + 32668),
)
JEOL_TABLE = tuple(
    MagEntry(i, mag, 1.0e5 / mag, "MAG")
    for i, mag in enumerate((2000, 5000, 10000, 20000, 40000, 60000, 80000, 100000, 150000))
)
JEOL_CONFIG = JeolConfig(
    model="JEM-Z300FSC", focus_ranges=JEOL_FOCUS, magnification_table=JEOL_TABLE
)
THERMO_TABLE = tuple(MagEntry(i, 1000.0 * i, 100.0 / i, "SA") for i in range(5, 16))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_tem3(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """Put the fake PyJEM on sys.path and return its TEM3 module, reset."""
    monkeypatch.syspath_prepend(str(FAKE_PYJEM))
    tem3 = importlib.import_module("PyJEM.TEM3")
    tem3.reset()
    yield tem3
    tem3.reset()
    for name in [m for m in sys.modules if m == "PyJEM" or m.startswith("PyJEM.")]:
        del sys.modules[name]


class Tem3Faults:
    """FaultInjector over the fake TEM3 module."""

    def __init__(self, tem3: ModuleType) -> None:
        self.tem3 = tem3

    def busy(self, calls: int) -> None:
        self.tem3.FAULTS.busy_calls = calls

    def hang(self, seconds: float) -> None:
        self.tem3.FAULTS.release.clear()
        self.tem3.FAULTS.hang_s = seconds

    def disconnect(self) -> None:
        self.tem3.FAULTS.connected = False

    def clear(self) -> None:
        faults = self.tem3.FAULTS
        faults.busy_calls, faults.hang_s, faults.connected = 0, 0.0, True
        faults.release.set()


def jeol_counts_to_stig(counts: tuple[int, int]) -> tuple[float, float]:
    return (counts[0] - 32768) / 32767, (counts[1] - 32768) / 32767


def jeol_vendor_defocus_nm(column) -> float:
    focus = JEOL_FOCUS[0] if column.selector <= 4 else JEOL_FOCUS[1]
    return (focus.reference_steps - (column.olc * 32 + column.olf)) * focus.nm_per_step


@pytest.fixture
async def jeol_rig(fake_tem3: ModuleType) -> AsyncIterator[ScopeRig]:
    """The JEOL driver on the fake TEM3."""
    rig_audit: list = []

    def camera(exposure_s: float, binning: int) -> np.ndarray:
        return np.zeros((256 // binning, 256 // binning), dtype=np.uint16)

    scope = jeol_scope(JEOL_CONFIG, camera=camera, timing=FAST, audit=rig_audit.append)
    column = fake_tem3.COLUMN
    rig = ScopeRig(
        scope=scope,
        faults=Tem3Faults(fake_tem3),
        vendor_stigmator=lambda: jeol_counts_to_stig(column.ols),
        vendor_defocus_nm=lambda: jeol_vendor_defocus_nm(column),
        vendor_beam_tilt_mrad=lambda: (
            (column.cla2[0] - 32768) * 1e-3,
            (column.cla2[1] - 32768) * 1e-3,
        ),
        stigmator_writes=lambda: [
            jeol_counts_to_stig(call[1:]) for call in fake_tem3.CALLS if call[0] == "Def3.SetOLs"
        ],
        mag_indices=(3, 7),
        audit=rig_audit,
    )
    yield rig
    rig.faults.clear()
    await scope.close()


@pytest.fixture
async def thermo_null_rig() -> AsyncIterator[ScopeRig]:
    """The Thermo driver on temscript's NullMicroscope, behind a fault-injecting proxy."""
    null = NullMicroscope(wait_exposure=False, voltage=300.0)
    log: list[tuple] = []
    faults = TemscriptFaults()
    extensions = MemoryExtensions()
    config = ThermoConfig(
        camera="CCD", defocus_source="temscript", magnification_table=THERMO_TABLE
    )
    backend = ThermoBackend(
        lambda: FaultyProxy(null, log, faults), FaultyProxy(extensions, log, faults), config
    )
    rig_audit: list = []
    scope = Scope(backend, ThermoUnits(), name="thermo-null", timing=FAST, audit=rig_audit.append)
    rig = ScopeRig(
        scope=scope,
        faults=faults,
        vendor_stigmator=lambda: tuple(float(v) for v in null.get_objective_stigmator()),
        vendor_defocus_nm=lambda: -null.get_defocus() * 1e9,
        vendor_beam_tilt_mrad=lambda: tuple(extensions.values["rotation_center_mrad"]),
        stigmator_writes=lambda: [
            tuple(call[1]) for call in log if call[0] == "set_objective_stigmator"
        ],
        mag_indices=(10, 14),
        audit=rig_audit,
    )
    yield rig
    faults.clear()
    await scope.close()


@pytest.fixture(params=SCOPE_RIGS)
def scope_rig(request: pytest.FixtureRequest) -> ScopeRig:
    """Each registered driver rig in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def scope(scope_rig: ScopeRig) -> Scope:
    """The scope of each registered driver rig in turn."""
    return scope_rig.scope


SIMULATOR_CONFIG = SimulatorConfig(seed=7, timing=Timing(time_scale=0.0))


@pytest.fixture
def microscope() -> SimulatedMicroscope:
    """A seeded simulated microscope at full speed, for the simulator's own tests."""
    return SimulatedMicroscope(SIMULATOR_CONFIG)


@pytest.fixture
def server(microscope: SimulatedMicroscope) -> Iterator[ServerThread]:
    """The simulator's REST server on a free loopback port; faults cleared afterwards."""
    with ServerThread(microscope) as running:
        yield running
        microscope.faults.clear()
