"""The simulated beam-tilt-induced image shift: its physics, and frames that show it."""

from __future__ import annotations

import numpy as np
import pytest

from astigd.drivers.simulator.config import CameraConfig, SimulatorConfig, Timing
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.server import ServerThread
from astigd.drivers.thermo_connect import thermo_remote_scope
from astigd.workers.image_shift import measure_shift
from tests.drivers.simulator_rigs import OVER_HTTP


def scope(seed: int = 3, **changes) -> SimulatedMicroscope:
    config = SimulatorConfig(seed=seed, timing=Timing(time_scale=0.0), **changes)
    return SimulatedMicroscope(config)


def shift_nm(m: SimulatedMicroscope, tilt_mrad) -> np.ndarray:
    m.state.set_rotation_center(tilt_mrad)
    return m.state.truth().tilt_shift_nm


def test_no_image_shift_with_the_beam_at_the_rotation_centre_at_any_focus() -> None:
    m = scope()
    for defocus_nm in (-500.0, 1000.0, 3000.0):
        m.state.set_defocus_nm(defocus_nm)
        assert np.array_equal(shift_nm(m, (0.0, 0.0)), np.zeros(2))


def test_without_astigmatism_the_shift_difference_grows_with_defocus_in_every_direction() -> None:
    m = scope()
    m.state.set_defocus_nm(2000.0)
    base = m.state.truth()
    step = np.linalg.solve(base.response_nm, -base.astig_vec_nm)  # stigmate to zero
    m.state.set_stigmator(tuple(np.asarray(m.state.stigmator.commanded) + step))
    lengths = []
    for defocus_nm in (1000.0, 2000.0):
        m.state.set_defocus_nm(defocus_nm)
        for angle in np.radians([0.0, 60.0, 120.0]):
            tilt = 5.0 * np.array([np.cos(angle), np.sin(angle)])
            lengths.append(np.linalg.norm(shift_nm(m, tilt) - shift_nm(m, -tilt)))
    at_1um, at_2um = np.array(lengths[:3]), np.array(lengths[3:])
    # |Δd| = 2·|df|·|τ| (plus a small pivot and Cs term): 10 nm per µm of defocus at 5 mrad
    assert np.allclose(at_2um - at_1um, 10.0, rtol=0.08)  # in every direction


def test_astigmatism_makes_the_shift_depend_on_the_tilt_direction() -> None:
    m = scope()
    m.state.set_defocus_nm(0.0)
    truth = m.state.truth()
    target = np.array([400.0, 0.0])
    step = np.linalg.solve(truth.response_nm, target - truth.astig_vec_nm)
    m.state.set_stigmator(tuple(np.asarray(m.state.stigmator.commanded) + step))
    lengths = []
    for angle in np.radians(np.arange(0.0, 180.0, 15.0)):
        tilt = 5.0 * np.array([np.cos(angle), np.sin(angle)])
        lengths.append(np.linalg.norm(shift_nm(m, tilt) - shift_nm(m, -tilt)))
    # ½·a·τ per direction on top of the defocus term: the spread is about a·τ = 2 nm
    assert 1.0 < np.ptp(lengths) < 3.5


@pytest.mark.parametrize("area, trusted", [("fixed", True), ("fresh", False)])
def test_frames_at_plus_minus_tilt_show_the_true_shift_on_a_fixed_area(area, trusted) -> None:
    m = scope(specimen_area=area, camera=CameraConfig(frame_px=512))
    m.state.set_defocus_nm(1500.0)
    frames, shifts = [], []
    for sign in (1.0, -1.0):
        m.state.set_rotation_center((sign * 4.0, sign * 2.0))
        frames.append(m.acquire("BM-Ceta")["BM-Ceta"].astype(np.float32))
        mag = m.state.table[m.state.mag_index]
        shifts.append(
            mag.aniso.matrix() @ m.state.truth().tilt_shift_nm * 10 / mag.true_pixel_size_A
        )
    measured = measure_shift(frames[1], frames[0])
    assert measured.reliable is trusted
    if trusted:
        expected = shifts[0] - shifts[1]
        found = np.array([measured.shift_x_px, measured.shift_y_px])
        # within 0.1 px plus 0.5 %: the edge taper pulls large shifts slightly towards zero
        assert np.all(np.abs(found - expected) < 0.1 + 0.005 * np.abs(expected)), (found, expected)


@pytest.mark.anyio
async def test_over_http_the_thermo_driver_tilts_the_beam_and_frames_show_the_shift() -> None:
    m = scope(specimen_area="fixed", camera=CameraConfig(frame_px=256))
    m.state.set_defocus_nm(1000.0)
    audit: list = []
    with ServerThread(m) as server:
        remote = thermo_remote_scope(*server.address, timing=OVER_HTTP, audit=audit.append)
        frames, shifts = [], []
        for tilt in ((3.0, -1.0), (-3.0, 1.0)):
            await remote.set_beam_tilt_mrad(*tilt)
            frames.append(np.asarray((await remote.acquire(1.0)).image, dtype=np.float32))
            shifts.append(m.state.truth().tilt_shift_nm)
        await remote.set_beam_tilt_mrad(0.0, 0.0)
        await remote.close()
    assert m.state.rotation_center_mrad == (0.0, 0.0)
    assert [record.what for record in audit].count("beam_tilt_mrad") == 3
    mag = m.state.table[m.state.mag_index]
    expected = mag.aniso.matrix() @ (10.0 * (shifts[0] - shifts[1])) / mag.true_pixel_size_A
    measured = measure_shift(frames[1], frames[0])
    found = np.array([measured.shift_x_px, measured.shift_y_px])
    assert measured.reliable and np.all(np.abs(found - expected) < 0.2), (found, expected)
