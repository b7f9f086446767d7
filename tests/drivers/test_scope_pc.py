"""`astigd scope-pc serve`: temscript v1 plus /v1/astigd/ on temscript's NullMicroscope."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from temscript import NullMicroscope

from astigd.drivers.errors import VendorError
from astigd.drivers.scope_pc.app import create_scope_pc_app
from astigd.drivers.scope_pc.lens_access import MemoryLens, ScriptingLens, lens_access
from astigd.drivers.scope_pc.mag_table import load_mag_table
from astigd.drivers.temscript_server.thread import ServerThread
from astigd.drivers.thermo import ThermoConfig
from astigd.drivers.thermo_connect import thermo_remote_scope
from tests.drivers.rig import FAST
from tests.drivers.scope_pc_rigs import TABLE_ROWS
from tests.processes import free_port, wait_for_http


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_extension_endpoints_serve_the_table_and_the_microscope_state(scope_pc_server) -> None:
    server, null = scope_pc_server
    null.set_objective_stigmator([0.25, -0.125])
    null.set_defocus(-1.5e-6)  # 1.5 µm underfocus
    null.set_magnification_index(12)
    base = f"http://127.0.0.1:{server.port}/v1/astigd/"
    with httpx.Client(base_url=base) as client:
        table = client.get("magnification_table").json()
        assert client.put("rotation_center_mrad", json=[1.5, -2.0]).status_code == 204
        optics = client.get("optics").json()
        assert client.put("defocus_m", json=-2e-6).status_code == 204
        refused = client.put("defocus_m", json="deep")
    assert table == TABLE_ROWS
    assert optics == {
        "ht_kv": 300.0,
        "magnification_index": 12,
        "probe_mode": "MICROPROBE",
        "stig_x": 0.25,
        "stig_y": -0.125,
        "defocus_m": -1.5e-6,
        "rotation_center_mrad": [1.5, -2.0],
    }
    assert null.get_defocus() == -2e-6
    assert refused.status_code == 500 and "number" in refused.json()["detail"]


@pytest.mark.anyio
async def test_the_thermo_driver_reads_pixel_size_and_optics_from_the_scope_pc(
    scope_pc_server,
) -> None:
    server, null = scope_pc_server
    scope = thermo_remote_scope("127.0.0.1", server.port, config=ThermoConfig(camera="CCD"))
    try:
        await scope.set_mag_index(10)
        await scope.set_defocus_nm(2500.0)
        await scope.set_stigmator(0.1, 0.05)
        snapshot = await scope.snapshot()
    finally:
        await scope.close()
    assert snapshot.mag.index == 10 and snapshot.mag.pixel_size_A == pytest.approx(10.0)
    assert snapshot.defocus_nm == pytest.approx(2500.0)
    assert null.get_defocus() == pytest.approx(-2.5e-6)
    assert tuple(null.get_objective_stigmator()) == pytest.approx((0.1, 0.05))
    assert snapshot.optics_key.ht_kv == 300.0


@pytest.mark.anyio
async def test_without_a_table_the_endpoint_is_404_with_the_reason() -> None:
    app = create_scope_pc_app(lambda: NullMicroscope(wait_exposure=False))
    try:
        with ServerThread(app) as server:
            answer = httpx.get(f"{server.url}/v1/astigd/magnification_table")
            scope = thermo_remote_scope(*server.address, timing=FAST)
            with pytest.raises(VendorError, match="404"):
                await scope.set_mag_index(10)
            await scope.close()
    finally:
        app.app.state.calls.close()
    assert answer.status_code == 404 and "--mag-table" in answer.json()["detail"]


def test_column_valves_may_be_closed_but_never_opened_remotely() -> None:
    null = NullMicroscope(wait_exposure=False)
    app = create_scope_pc_app(lambda: null)
    try:
        with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
            null.set_column_valves_open(True)
            closed = client.put("/v1/column_valves_open", json=False)
            opened = client.put("/v1/column_valves_open", json=True)
            unknown = client.get("/v1/no_such_thing")
    finally:
        app.app.state.calls.close()
    assert closed.status_code == 204 and opened.status_code == 500
    assert not null.get_column_valves_open()
    assert unknown.status_code == 404


def test_scripting_lens_uses_projection_defocus_and_rotation_center_in_radians() -> None:
    # TEM Scripting exists only on Windows; its COM objects are stood in for by plain attributes.
    com = SimpleNamespace(
        _tem_projection=SimpleNamespace(Defocus=-1e-6, Focus=0.37),
        _tem_illumination=SimpleNamespace(RotationCenter=(0.002, -0.001)),
    )
    lens = lens_access(com)
    assert isinstance(lens, ScriptingLens)
    assert lens.get_defocus_m(com) == -1e-6  # Defocus (m), not Focus (arbitrary units)
    assert lens.get_rotation_center_mrad(com) == pytest.approx([2.0, -1.0])
    lens.set_rotation_center_mrad(com, [0.5, 0.25])
    lens.set_defocus_m(com, 3e-7)
    assert com._tem_illumination.RotationCenter == pytest.approx([5e-4, 2.5e-4])
    assert com._tem_projection.Defocus == 3e-7 and com._tem_projection.Focus == 0.37
    assert isinstance(lens_access(NullMicroscope()), MemoryLens)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("magnifications: []", "at least 1"),
        ("magnifications: [{index: 3, magnification: 1000, pixel_size_A: -1}]", "greater than"),
        (
            "magnifications: [{index: 3, magnification: 1, pixel_size_A: 1},"
            " {index: 3, magnification: 2, pixel_size_A: 2}]",
            "repeat",
        ),
    ],
)
def test_a_bad_table_is_refused_naming_the_file(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "mags.yml"
    path.write_text(text)
    with pytest.raises(ValueError, match=reason) as raised:
        load_mag_table(path)
    assert str(path) in str(raised.value)


def test_the_command_serves_a_null_microscope(mag_table_file: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "astigd", "scope-pc", "serve", "--null"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--mag-table", str(mag_table_file)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1/"
        wait_for_http(f"{url}family", "astigd scope-pc serve never answered")
        assert httpx.get(f"{url}family").json() == "NULL"
        assert httpx.get(f"{url}astigd/magnification_table").json() == TABLE_ROWS
    finally:
        process.terminate()
        process.wait(10)


def test_the_command_refuses_a_bad_table(tmp_path: Path) -> None:
    path = tmp_path / "mags.yml"
    path.write_text("magnifications: nope")
    command = [sys.executable, "-m", "astigd", "scope-pc", "serve", "--null"]
    done = subprocess.run([*command, "--mag-table", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and str(path) in done.stderr


def test_temscript_remote_microscope_drives_the_null_microscope_through_the_server(
    scope_pc_server,
) -> None:
    from temscript import RemoteMicroscope

    server, null = scope_pc_server
    remote = RemoteMicroscope(("127.0.0.1", server.port), timeout=10)
    remote.set_stage_position({"x": 5e-4, "a": 0.1}, method="GO")
    remote.set_image_shift((1e-7, -2e-7))
    remote.normalize("OBJECTIVE")
    remote.set_camera_param("CCD", {"binning": 4, "exposure(s)": 0.5})
    state = remote.get_state()
    with pytest.raises(KeyError, match="Not Found"):  # temscript's client: 404 -> KeyError
        remote.get_camera_param("no-such-camera")
    assert null.get_stage_position()["x"] == 5e-4 and null.get_stage_position()["a"] == 0.1
    assert tuple(null.get_image_shift()) == pytest.approx((1e-7, -2e-7))
    assert null.get_camera_param("CCD")["binning"] == 4
    assert state["voltage(kV)"] == 300.0 and state["family"] == "NULL"
    assert remote.acquire("CCD")["CCD"].shape == (512, 512)
