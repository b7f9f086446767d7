"""The Thermo driver on temscript's NullMicroscope: the exact temscript calls, in order."""

from __future__ import annotations

import numpy as np
import pytest
from temscript import NullMicroscope

from astigd.drivers.errors import (
    DisconnectedError,
    DriverUnavailableError,
    ScopeBusyError,
    ScopeTimeoutError,
    VendorError,
)
from astigd.drivers.records import Illumination, MagEntry, ScopeIdentity
from astigd.drivers.scope import Scope
from astigd.drivers.thermo import ThermoBackend, ThermoConfig, ThermoUnits
from astigd.drivers.thermo_connect import thermo_local_scope
from astigd.drivers.thermo_extensions import translate
from tests.drivers.conftest import THERMO_TABLE
from tests.drivers.rig import FAST
from tests.drivers.thermo_fakes import FaultyProxy, MemoryExtensions, TemscriptFaults

pytestmark = pytest.mark.anyio


class Bench:
    """A Thermo scope on a logging NullMicroscope, plus the call log."""

    def __init__(self, **config) -> None:
        self.null = NullMicroscope(wait_exposure=False, voltage=300.0)
        self.log: list[tuple] = []
        self.faults = TemscriptFaults()
        self.connects = 0
        self.extensions = MemoryExtensions()
        options = {"camera": "CCD", "magnification_table": THERMO_TABLE, **config}
        backend = ThermoBackend(
            self.connect,
            FaultyProxy(self.extensions, self.log, self.faults),
            ThermoConfig(**options),
        )
        self.scope = Scope(backend, ThermoUnits(), timing=FAST)

    def connect(self) -> FaultyProxy:
        self.connects += 1
        return FaultyProxy(self.null, self.log, self.faults)


@pytest.fixture
async def bench():
    bench = Bench(defocus_source="temscript")
    yield bench
    bench.faults.clear()
    await bench.scope.close()


async def test_set_stigmator_uses_objective_stigmator_calls(bench) -> None:
    await bench.scope.set_stigmator(0.1, 0.05)
    assert bench.log == [
        ("get_objective_stigmator",),
        ("set_objective_stigmator", [0.1, 0.05]),
        ("get_objective_stigmator",),
    ]


async def test_defocus_nm_underfocus_is_negative_metres_for_temscript(bench) -> None:
    await bench.scope.set_defocus_nm(1500.0)
    assert bench.log == [
        ("get_magnification_index",),
        ("get_defocus",),
        ("set_defocus", pytest.approx(-1.5e-6)),
        ("get_magnification_index",),
        ("get_defocus",),
    ]
    assert bench.null.get_defocus() == pytest.approx(-1.5e-6)


async def test_defocus_goes_through_the_extension_endpoint_by_default() -> None:
    bench = Bench()
    async with bench.scope as scope:
        await scope.set_defocus_nm(-200.0)
    assert ("put", "defocus_m", pytest.approx(2e-7)) in bench.log
    assert bench.extensions.values["defocus_m"] == pytest.approx(2e-7)
    assert not [call for call in bench.log if call[0] in ("get_defocus", "set_defocus")]


async def test_rotation_centre_goes_through_the_extension_endpoint(bench) -> None:
    await bench.scope.set_beam_tilt_mrad(1.0, -2.0)
    assert bench.log == [
        ("get", "rotation_center_mrad"),
        ("put", "rotation_center_mrad", [1.0, -2.0]),
        ("get", "rotation_center_mrad"),
    ]
    assert bench.null.get_beam_tilt() == (0.0, 0.0)  # dark-field tilt untouched


async def test_magnification_table_comes_from_the_extension_when_not_configured() -> None:
    bench = Bench(magnification_table=())
    rows = [{"index": 3, "magnification": 81000.0, "pixel_size_A": 1.06, "mode": "SA"}]
    bench.extensions.values["magnification_table"] = rows
    async with bench.scope as scope:
        assert await scope.magnification_table() == (MagEntry(3, 81000.0, 1.06, "SA"),)


async def test_identity_ht_and_probe_mode(bench) -> None:
    assert await bench.scope.identity() == ScopeIdentity("Thermo Fisher", "NULL")
    assert await bench.scope.ht_kv() == 300.0
    assert await bench.scope.illumination() == Illumination(probe_mode="MICROPROBE")


async def test_acquire_sets_camera_parameters_then_acquires(bench) -> None:
    frame = await bench.scope.acquire(0.5, binning=4)
    assert bench.log[-2:] == [
        ("set_camera_param", "CCD", {"exposure(s)": 0.5, "binning": 4}),
        ("acquire", "CCD"),
    ]
    assert frame.image.shape == (512, 512) and frame.image.dtype == np.int16
    assert frame.pixel_size_A == pytest.approx(4 * 10.0)  # index 10 of THERMO_TABLE


async def test_busy_503_is_retried(bench) -> None:
    bench.faults.busy(1)
    assert await bench.scope.get_mag_index() == 10
    assert bench.log == [("get_magnification_index",)] * 2


async def test_reconnects_after_the_connection_dropped(bench) -> None:
    bench.faults.disconnect()
    with pytest.raises(DisconnectedError):
        await bench.scope.get_mag_index()
    bench.faults.clear()
    assert await bench.scope.get_mag_index() == 10
    assert bench.connects == 2


@pytest.mark.parametrize(
    ("raised", "typed"),
    [
        (TimeoutError("timed out"), ScopeTimeoutError),
        (ConnectionRefusedError(111, "refused"), DisconnectedError),
        (RuntimeError("Remote call returned status 503: busy"), ScopeBusyError),
        (RuntimeError("Remote call returned status 500: boom"), VendorError),
        (KeyError("Failed remote call: Not Found"), VendorError),
    ],
)
def test_temscript_errors_are_typed(raised: Exception, typed: type) -> None:
    assert type(translate(raised)) is typed


def test_local_com_scope_needs_windows(monkeypatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    with pytest.raises(DriverUnavailableError, match="Windows"):
        thermo_local_scope()
