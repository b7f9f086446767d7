"""Physics check through the public path: acquire over HTTP -> fit -> compare with the truth.

The Thermo driver (temscript's RemoteMicroscope) drives the simulator's REST server; the
measured astigmatism vector must match the simulator-only truth endpoint, and a ±0.05 move of
each stigmator must move it along that stigmator's response.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import httpx
import numpy as np
import pytest

from astigd.drivers.limits import ScopeTiming
from astigd.drivers.scope import Scope
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.server import ServerThread
from astigd.drivers.thermo_connect import thermo_remote_scope
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics

fit = pytest.importorskip("astigd.workers.fit", reason="the CTF fitter has not landed yet")

pytestmark = pytest.mark.anyio

CONFIG = SimulatorConfig(seed=11, timing=Timing(time_scale=0.0))
TIMING = ScopeTiming(call_timeout_s=10.0, busy_backoff_s=0.01, settle_s=0.0)
DEFOCUS_NM = 1500.0
PROBE = 0.05
EXPOSURE_S = 4.0  # 80 e/Å² on carbon: about 1.2 nm rms per astigmatism component


class Bench:
    """A driver on the simulator's server, plus the truth endpoint and the fitter."""

    def __init__(self, scope: Scope, url: str) -> None:
        self.scope, self.http = scope, httpx.Client(base_url=url)

    def truth(self) -> dict:
        return self.http.get("/v1/astigd/sim/truth").raise_for_status().json()

    async def measure(self) -> tuple[np.ndarray, dict]:
        """Acquire a frame through the driver and fit it; return (vector nm, truth)."""
        frame = await self.scope.acquire(exposure_s=EXPOSURE_S, binning=1)
        truth = self.truth()
        aniso = AnisoMag(
            **{k: truth["aniso"][k] for k in ("scale_major", "scale_minor", "angle_deg")}
        )
        optics = Optics(truth["pixel_size_A"] * frame.binning, truth["kv"], truth["cs_mm"])
        result = fit.fit_frame(frame.image.astype(np.float32), optics, aniso=aniso)
        assert result.reliable, result.reason
        return np.array([result.astig_x_nm, result.astig_y_nm]), truth

    async def aim(self, target_nm: tuple[float, float]) -> None:
        """Set the stigmators so the true astigmatism is near a target vector."""
        truth = self.truth()
        response = np.array(truth["stigmator_response_nm_per_unit"])
        step = np.linalg.solve(response, np.asarray(target_nm) - truth["astig_vec_nm"])
        stig = np.asarray(truth["stig_commanded"]) + step
        await self.scope.walk_stigmator(*stig)


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    with ServerThread(SimulatedMicroscope(CONFIG)) as server:
        scope = thermo_remote_scope(*server.address, timing=TIMING)
        await scope.set_mag_index(7)
        await scope.set_defocus_nm(DEFOCUS_NM)
        yield Bench(scope, server.url)
        await scope.close()


def assert_close_vectors(measured: np.ndarray, truth: np.ndarray, fraction: float = 0.05) -> None:
    tolerance = max(3.0, fraction * float(np.linalg.norm(truth)))
    error = float(np.linalg.norm(measured - truth))
    assert error <= tolerance, (
        f"measured {measured} vs truth {truth}: {error:.1f} > {tolerance:.1f}"
    )


@pytest.mark.parametrize("target_nm", [(150.0, -60.0), (-40.0, 220.0), (-110.0, -70.0)])
async def test_measured_astigmatism_matches_the_truth(bench: Bench, target_nm) -> None:
    await bench.aim(target_nm)
    measured, truth = await bench.measure()
    assert_close_vectors(measured, np.array(truth["astig_vec_nm"]))


@pytest.mark.parametrize("axis", [0, 1])
async def test_each_stigmator_moves_the_vector_along_its_response(bench: Bench, axis) -> None:
    await bench.aim((80.0, 40.0))
    base = np.array(await bench.scope.get_stigmator())
    vectors = []
    for sign in (+1.0, -1.0):
        await bench.scope.set_stigmator(*(base + sign * PROBE * np.eye(2)[axis]))
        vectors.append((await bench.measure())[0])
    measured = (vectors[0] - vectors[1]) / (2 * PROBE)
    expected = np.array(bench.truth()["stigmator_response_nm_per_unit"])[:, axis]
    cross = expected[0] * measured[1] - expected[1] * measured[0]
    turn = math.degrees(math.atan2(cross, expected @ measured))
    assert abs(turn) < 5.0
    assert np.linalg.norm(measured) == pytest.approx(np.linalg.norm(expected), rel=0.1)


async def test_astigmatism_re_emerges_with_defocus_along_the_lens_slope(bench: Bench) -> None:
    await bench.aim((30.0, -20.0))
    measured, truths = [], []
    for defocus_nm in (1000.0, 3000.0):
        await bench.scope.set_defocus_nm(defocus_nm)
        vector, truth = await bench.measure()
        measured.append(vector)
        truths.append(np.array(truth["astig_vec_nm"]))
    slope = np.array(truth["lens_slope_vec_nm_per_um"])
    np.testing.assert_allclose(truths[1] - truths[0], 2.0 * slope, atol=1e-6)
    assert_close_vectors(measured[1] - measured[0], truths[1] - truths[0], fraction=0.15)
