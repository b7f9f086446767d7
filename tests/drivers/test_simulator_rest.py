"""The simulator's REST server speaks temscript's v1 protocol to the real temscript client."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import numpy as np
import pytest
from starlette.testclient import TestClient
from temscript import RemoteMicroscope
from temscript.base_microscope import BaseMicroscope
from temscript.marshall import unpack_array

from astigd.drivers.simulator.app import create_app
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.server import ServerThread

CONFIG = SimulatorConfig(seed=7, timing=Timing(time_scale=0.0))
CAMERA = CONFIG.camera.name


@pytest.fixture
def remote(server: ServerThread) -> RemoteMicroscope:
    return RemoteMicroscope(server.address, timeout=10.0)


@pytest.fixture
def client(microscope: SimulatedMicroscope) -> Iterator[TestClient]:
    with TestClient(create_app(microscope)) as test_client:
        yield test_client


def test_temscript_client_connects_and_reads_identity(remote: RemoteMicroscope) -> None:
    assert remote.get_version().startswith("2.")
    assert remote.get_family() == "TITAN"
    assert remote.get_voltage() == 300.0
    assert remote.get_illumination_mode() == "MICROPROBE"


def test_objective_stigmator_round_trips_through_the_client(remote, microscope) -> None:
    remote.set_objective_stigmator((0.12, -0.34))
    assert remote.get_objective_stigmator() == [0.12, -0.34]
    assert microscope.state.stigmator.commanded == (0.12, -0.34)


def test_defocus_is_metres_with_overfocus_positive(remote, microscope) -> None:
    remote.set_defocus(-1.5e-6)
    assert remote.get_defocus() == pytest.approx(-1.5e-6)
    assert microscope.state.defocus_nm() == pytest.approx(1500.0)


def test_magnification_index_selects_the_table_entry(remote) -> None:
    remote.set_magnification_index(9)
    assert remote.get_magnification_index() == 9
    assert remote.get_indicated_magnification() == 130_000.0
    assert remote.get_projection_mode_string() == "SA"


def test_acquire_unpacks_to_a_counts_frame(remote) -> None:
    remote.set_camera_param(CAMERA, {"exposure(s)": 0.5, "binning": 2})
    assert remote.get_camera_param(CAMERA)["binning"] == 2
    frame = remote.acquire(CAMERA)[CAMERA]
    assert frame.shape == (1024, 1024) and frame.dtype == np.int32
    pixel_A = 2 * 85_000.0 / 81_000.0  # binning 2 at the default 81 kx
    expected_counts = CONFIG.camera.dose_rate_e_per_A2_s * 0.5 * pixel_A**2
    assert 0.5 * expected_counts < frame.mean() < 2.0 * expected_counts


def test_pickle_transport_returns_numpy_frames(server: ServerThread) -> None:
    remote = RemoteMicroscope(server.address, transport="PICKLE")
    assert isinstance(remote.acquire(CAMERA)[CAMERA], np.ndarray)
    assert remote.get_stage_holder() == "SINGLE_TILT"


def test_state_has_every_key_of_temscripts_titan_state(remote) -> None:
    state = remote.get_state()
    assert {"voltage(kV)", "objective_stigmator", "defocus", "magnification_index"} <= set(state)
    assert {"condenser_mode", "illuminated_area", "probe_defocus"} <= set(state)
    assert state["temscript_version"] == "2.1.0"


def test_unknown_endpoint_and_unknown_camera_raise_key_error(remote) -> None:
    with pytest.raises(KeyError):
        remote._request("GET", "/v1/warp_drive")
    with pytest.raises(KeyError):
        remote.get_camera_param("BM-Nope")
    with pytest.raises(KeyError):
        remote.acquire("BM-Nope")


def test_out_of_range_set_is_a_500_and_changes_nothing(remote, microscope) -> None:
    remote.set_objective_stigmator((0.1, 0.1))
    with pytest.raises(RuntimeError, match="500"):
        remote.set_objective_stigmator((1.5, 0.0))
    assert microscope.state.stigmator.commanded == (0.1, 0.1)
    assert remote.get_objective_stigmator() == [0.1, 0.1]


def test_setters_answer_204_without_body_and_close_the_connection(client: TestClient) -> None:
    response = client.put("/v1/objective_stigmator", json=[0.1, 0.2])
    assert response.status_code == 204 and response.content == b""
    assert response.headers["connection"] == "close"
    assert client.get("/v1/objective_stigmator").headers["content-type"] == "application/json"


def test_wrong_method_answers_404_like_temscript(client: TestClient) -> None:
    assert client.put("/v1/version", json="3.0").status_code == 404
    assert client.get("/v2/version").status_code == 404


def test_acquire_packs_arrays_as_temscripts_marshalling(client: TestClient) -> None:
    packed = client.get("/v1/acquire", params={"detectors": CAMERA}).json()[CAMERA]
    assert set(packed) == {"width", "height", "type", "endianness", "encoding", "data"}
    assert (packed["type"], packed["encoding"]) == ("INT32", "BASE64")
    assert unpack_array(packed).shape == (packed["height"], packed["width"])


def test_extension_endpoints_match_the_thermo_driver_table(client: TestClient) -> None:
    assert client.put("/v1/astigd/defocus_m", json=-2e-6).status_code == 204
    assert client.get("/v1/astigd/defocus_m").json() == pytest.approx(-2e-6)
    assert client.put("/v1/astigd/rotation_center_mrad", json=[0.5, -0.25]).status_code == 204
    assert client.get("/v1/astigd/rotation_center_mrad").json() == [0.5, -0.25]
    rows = client.get("/v1/astigd/magnification_table").json()
    assert all(set(row) == {"index", "magnification", "pixel_size_A", "mode"} for row in rows)
    optics = client.get("/v1/astigd/optics").json()
    assert set(optics) == {
        "ht_kv",
        "magnification_index",
        "probe_mode",
        "stig_x",
        "stig_y",
        "defocus_m",
        "rotation_center_mrad",
    }
    assert optics["defocus_m"] == pytest.approx(-2e-6)


def test_truth_is_marked_simulator_only_and_matches_the_model(client, microscope) -> None:
    truth = client.get("/v1/astigd/sim/truth").json()
    assert truth["simulator_only"] is True
    model = microscope.state.truth()
    np.testing.assert_allclose(truth["astig_vec_nm"], model.astig_vec_nm)
    np.testing.assert_allclose(truth["stigmator_response_nm_per_unit"], model.response_nm)
    assert 8.0 < truth["lens_slope_nm_per_um"] < 50.0


def test_date_and_clock_admin_move_the_simulated_lens(client: TestClient) -> None:
    before = client.get("/v1/astigd/sim/truth").json()
    assert client.put("/v1/astigd/sim/date", json="2030-01-02").status_code == 204
    assert client.get("/v1/astigd/sim/date").json() == "2030-01-02"
    assert client.put("/v1/astigd/sim/clock", json={"advance_s": 60.0}).status_code == 204
    after = client.get("/v1/astigd/sim/truth").json()
    assert after["date"] == "2030-01-02" and after["elapsed_s"] == 60.0
    assert after["lens_slope_vec_nm_per_um"] != before["lens_slope_vec_nm_per_um"]


def test_the_client_covers_every_base_microscope_getter(remote: RemoteMicroscope) -> None:
    skip = {"get_detectors", "get_optics_state"}  # deprecated: they warn
    skip |= {"get_detector_param", "get_stem_detector_param", "get_camera_param"}  # need a name
    getters = [n for n in dir(BaseMicroscope) if n.startswith("get_") and n not in skip]
    for name in getters:
        getattr(remote, name)()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_can_read_and_set_the_scope(server: ServerThread, microscope) -> None:
    def curl(*args: str) -> str:
        return subprocess.run(
            ["curl", "-sS", *args], capture_output=True, text=True, check=True
        ).stdout

    assert curl(f"{server.url}/v1/version") == '"2.1.0"'
    put = ["-X", "PUT", "-H", "Content-Type: application/json", "-w", "%{http_code}"]
    assert curl(*put, "-d", "[0.2, 0.1]", f"{server.url}/v1/objective_stigmator") == "204"
    assert microscope.state.stigmator.commanded == (0.2, 0.1)
