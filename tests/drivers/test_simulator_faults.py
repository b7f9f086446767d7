"""Fault injection: busy, timeouts, dropped connections, refusals, bad frames and sudden drift."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import numpy as np
import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient
from temscript import RemoteMicroscope

from astigd.drivers.errors import DisconnectedError, ScopeBusyError, VendorError
from astigd.drivers.simulator.app import create_app
from astigd.drivers.simulator.backend import SimulatorBackend
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.faults import FaultInjector, FaultSpec
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.vendor_errors import SimulatorBusyError

CONFIG = SimulatorConfig(seed=7, timing=Timing(time_scale=0.0))
CAMERA = CONFIG.camera.name


def arm(microscope: SimulatedMicroscope, **spec) -> None:
    microscope.faults.arm(FaultSpec(**spec))


def test_busy_answers_503_then_the_scope_answers_again(server, microscope) -> None:
    remote = RemoteMicroscope(server.address)
    arm(microscope, kind="busy", endpoint="objective_stigmator", count=2)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="503"):
            remote.get_objective_stigmator()
    assert remote.get_objective_stigmator() == [0.0, 0.0]


def test_dropped_connection_is_a_connection_error_for_the_client(server, microscope) -> None:
    remote = RemoteMicroscope(server.address)
    arm(microscope, kind="drop", endpoint="magnification_index", method="GET")
    with pytest.raises(http.client.RemoteDisconnected):
        remote.get_magnification_index()
    assert remote.get_magnification_index() == 7


def test_timeout_holds_the_answer_until_the_client_gives_up(server, microscope) -> None:
    remote = RemoteMicroscope(server.address, timeout=0.2)
    arm(microscope, kind="timeout", endpoint="voltage", delay_s=5.0)
    start = time.monotonic()
    with pytest.raises(socket.timeout):
        remote.get_voltage()
    assert time.monotonic() - start < 2.0
    microscope.faults.clear()
    assert RemoteMicroscope(server.address, timeout=2.0).get_voltage() == 300.0


def test_out_of_range_fault_refuses_a_set_and_changes_nothing(server, microscope) -> None:
    remote = RemoteMicroscope(server.address)
    arm(microscope, kind="out_of_range", endpoint="objective_stigmator", method="PUT")
    with pytest.raises(RuntimeError, match="500"):
        remote.set_objective_stigmator((0.1, 0.1))
    assert microscope.state.stigmator.commanded == (0.0, 0.0)


def test_version_is_never_busy_because_temscript_answers_it_itself(server, microscope) -> None:
    arm(microscope, kind="busy", count=None)
    assert RemoteMicroscope(server.address)._request("GET", "/v1/version")[1] == "2.1.0"


def test_blank_frame_has_no_counts_and_no_thon_rings_frame_is_flat(microscope) -> None:
    arm(microscope, kind="blank_frame", endpoint="acquire")
    arm(microscope, kind="no_thon_rings", endpoint="acquire", after=1)
    frames = []
    for _ in range(3):
        microscope.inject("GET", "acquire")
        frames.append(microscope.acquire(CAMERA)[CAMERA].astype(float))
    blank, flat, normal = frames
    assert not blank.any()
    assert flat.var() / flat.mean() == pytest.approx(1.0, abs=0.02)  # Poisson only
    assert normal.var() / normal.mean() > 1.04  # specimen contrast on top


def test_sudden_drift_shifts_the_true_astigmatism_and_stays(microscope) -> None:
    before = microscope.state.truth().astig_vec_nm
    arm(microscope, kind="sudden_drift", endpoint="acquire", drift_vec_nm=(40.0, -30.0))
    microscope.inject("GET", "acquire")
    microscope.inject("GET", "acquire")
    np.testing.assert_allclose(microscope.state.truth().astig_vec_nm - before, [40.0, -30.0])


def test_focus_jump_moves_the_true_focus_but_not_the_reported_one(microscope) -> None:
    before = microscope.state.truth().defocus_nm
    arm(microscope, kind="focus_jump", endpoint="acquire", focus_jump_nm=400.0)
    microscope.inject("GET", "acquire")
    microscope.inject("GET", "acquire")
    assert microscope.state.truth().defocus_nm - before == pytest.approx(400.0)
    assert microscope.state.defocus_nm() == 0.0 and microscope.state.stage["z"] == 0.0


def test_dim_beam_lowers_the_dose_of_later_frames(microscope) -> None:
    microscope.camera.set_params({"exposure(s)": 2.0})
    mag = microscope.state.table[microscope.state.mag_index]
    nominal = microscope.camera.exposure(microscope.state.truth(), mag).dose_e_per_A2
    arm(microscope, kind="dim_beam", endpoint="acquire", dose_fraction=0.25)
    microscope.inject("GET", "acquire")
    dimmed = microscope.camera.exposure(microscope.state.truth(), mag).dose_e_per_A2
    assert dimmed == pytest.approx(0.25 * nominal)


def test_fault_counts_after_and_probability_are_honoured() -> None:
    injector = FaultInjector(seed=1)
    injector.arm(FaultSpec(kind="busy", endpoint="objective_*", after=1, count=2))
    injector.arm(FaultSpec(kind="drop", probability=0.0, count=None))
    fired = [bool(injector.fire("GET", "objective_stigmator")) for _ in range(5)]
    assert fired == [False, True, True, False, False]
    assert not injector.fire("GET", "defocus")
    assert [spec.kind for spec in injector.pending()] == ["drop"]


def test_faults_are_configured_and_listed_over_the_admin_endpoint(microscope) -> None:
    with TestClient(create_app(microscope)) as client:
        specs = [{"kind": "busy", "endpoint": "defocus", "count": 1}]
        assert client.put("/v1/astigd/sim/faults", json=specs).status_code == 204
        assert [s["kind"] for s in client.get("/v1/astigd/sim/faults").json()] == ["busy"]
        assert client.get("/v1/astigd/sim/truth").status_code == 200  # admin: never faulted
        assert client.get("/v1/defocus").status_code == 503
        assert client.get("/v1/defocus").status_code == 200
        assert client.put("/v1/astigd/sim/faults", json=[{"kind": "meteor"}]).status_code == 400


def test_faults_from_the_config_are_armed_at_start() -> None:
    config = CONFIG.model_copy(update={"faults": (FaultSpec(kind="busy", count=None),)})
    with pytest.raises(ValidationError):
        FaultSpec(kind="busy", probability=2.0)
    assert SimulatedMicroscope(config).faults.pending()[0].kind == "busy"


def test_changing_magnification_keeps_the_scope_busy_while_lenses_normalize() -> None:
    timing = Timing(time_scale=1.0, normalize_s=0.5)
    microscope = SimulatedMicroscope(SimulatorConfig(timing=timing))
    mover = threading.Thread(target=microscope.set_mag_index, args=(3,))
    mover.start()
    while True:  # the index changes under the same lock that marks the scope busy
        with microscope.operation(check_busy=False):
            if microscope.state.mag_index == 3:
                break
        time.sleep(0.005)
    with pytest.raises(SimulatorBusyError), microscope.operation():
        pass
    mover.join()
    with microscope.operation():
        assert microscope.state.mag_index == 3


@pytest.mark.parametrize(
    ("kind", "error"),
    [("busy", ScopeBusyError), ("drop", DisconnectedError), ("out_of_range", VendorError)],
)
def test_in_process_backend_types_injected_faults(microscope, kind, error) -> None:
    backend = SimulatorBackend(microscope)
    arm(microscope, kind=kind, endpoint="objective_stigmator")
    with pytest.raises(error):
        backend.set_stigmator((0.1, 0.0))
    backend.set_stigmator((0.1, 0.0))
    assert backend.get_stigmator() == (0.1, 0.0)


def test_in_process_hold_is_released_by_clearing_faults(microscope) -> None:
    backend = SimulatorBackend(microscope)
    arm(microscope, kind="timeout", endpoint="voltage", delay_s=30.0)
    threading.Timer(0.1, microscope.faults.clear).start()
    start = time.monotonic()
    assert backend.get_ht_kv() == 300.0
    assert time.monotonic() - start < 5.0
