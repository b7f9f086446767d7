"""The Thermo driver over HTTP to `astigd scope-pc serve` on temscript's NullMicroscope."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import yaml
from temscript import NullMicroscope

from astigd.drivers.scope_pc.app import create_scope_pc_app
from astigd.drivers.scope_pc.mag_table import load_mag_table
from astigd.drivers.temscript_server.errors import ServerBusyError
from astigd.drivers.temscript_server.thread import ServerThread
from astigd.drivers.thermo import ThermoConfig
from astigd.drivers.thermo_connect import thermo_remote_scope
from tests.drivers.rig import FAST, ScopeRig
from tests.drivers.thermo_fakes import FaultyProxy

OVER_HTTP = replace(FAST, call_timeout_s=2.0)
TABLE_ROWS = [
    {"index": i, "magnification": 1000.0 * i, "pixel_size_A": 100.0 / i, "mode": "SA"}
    for i in range(5, 16)
]


@dataclass
class ScopePcFaults:
    """Faults on the scope PC: busy (503) and hang inside the microscope; a stopped server."""

    server: RestartableServer
    busy_calls: int = 0
    hang_s: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)

    def busy(self, calls: int) -> None:
        self.busy_calls = calls

    def hang(self, seconds: float) -> None:
        self.release.clear()
        self.hang_s = seconds

    def disconnect(self) -> None:
        self.server.stop()

    def clear(self) -> None:
        self.busy_calls, self.hang_s = 0, 0.0
        self.release.set()
        self.server.start()

    def apply(self) -> None:
        """Suffer the pending fault inside the microscope call, as TEM Scripting would."""
        if self.hang_s:
            hang, self.hang_s = self.hang_s, 0.0
            self.release.wait(hang)
        if self.busy_calls:
            self.busy_calls -= 1
            raise ServerBusyError("the microscope is busy")


class RestartableServer:
    """The scope-PC app on one loopback port, which can be stopped and started again."""

    def __init__(self, app) -> None:
        self.app, self.port, self._thread = app, 0, None

    def start(self) -> None:
        if self._thread is None:
            self._thread = ServerThread(self.app, port=self.port).start()
            self.port = self._thread.address[1]

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None


@pytest.fixture
def mag_table_file(tmp_path: Path) -> Path:
    path = tmp_path / "mags.yml"
    path.write_text(yaml.safe_dump({"magnifications": TABLE_ROWS}))
    return path


@pytest.fixture
def scope_pc_server(mag_table_file: Path) -> Iterator[tuple[RestartableServer, NullMicroscope]]:
    """The scope-PC app on a NullMicroscope, served on a free loopback port."""
    null = NullMicroscope(wait_exposure=False, voltage=300.0)
    server = RestartableServer(None)
    server.log, server.faults = [], ScopePcFaults(server)
    factory = lambda: FaultyProxy(null, server.log, server.faults)  # noqa: E731
    server.app = create_scope_pc_app(factory, load_mag_table(mag_table_file))
    server.start()
    yield server, null
    server.faults.release.set()
    server.stop()
    server.app.app.state.calls.close()


@pytest.fixture
async def thermo_scope_pc_rig(scope_pc_server) -> AsyncIterator[ScopeRig]:
    """The Thermo driver (RemoteMicroscope plus extensions) against the scope-PC server."""
    server, null = scope_pc_server
    extensions, audit = server.app.app.state.extensions, []
    config = ThermoConfig(camera="CCD")  # defocus and the table from /v1/astigd/
    scope = thermo_remote_scope(
        "127.0.0.1", server.port, config=config, timing=OVER_HTTP, audit=audit.append
    )
    rig = ScopeRig(
        scope=scope,
        faults=server.faults,
        vendor_stigmator=lambda: tuple(float(v) for v in null.get_objective_stigmator()),
        vendor_defocus_nm=lambda: -null.get_defocus() * 1e9,
        vendor_beam_tilt_mrad=lambda: tuple(extensions.lens.get_rotation_center_mrad(null)),
        stigmator_writes=lambda: [
            tuple(call[1]) for call in server.log if call[0] == "set_objective_stigmator"
        ],
        mag_indices=(10, 14),
        audit=audit,
    )
    yield rig
    rig.faults.clear()
    await scope.close()
