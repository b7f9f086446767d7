"""The runtime: frame averaging, fit failures, cancel, events and the optics fits use."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace

import numpy as np
import pytest

from astigd.app.core.inventory import AnisoMagSpec, MagnificationOptics, OpticsDefaults
from astigd.app.procedures import correct
from astigd.app.procedures.averaging import combine_fits
from astigd.app.procedures.optics import optics_for
from astigd.app.procedures.runtime import runtime_for, unfittable
from astigd.drivers.simulator.faults import FaultSpec
from astigd.workers.fit import ESTIMATOR
from astigd.workers.results import CtfFit
from tests.procedures.rig import SCOPE_ID

pytestmark = pytest.mark.anyio


def fit(x: float, y: float, sigma: float = 2.0, reliable: bool = True, score: float = 0.3):
    return CtfFit(defocus1_nm=2000.0, defocus2_nm=2000.0, angle_deg=0.0, astig_nm=math.hypot(x, y),
                  astig_x_nm=x, astig_y_nm=y, astig_uncertainty_nm=sigma, defocus_mean_nm=2000.0,
                  defocus_uncertainty_nm=1.0, phase_shift_deg=0.0, score=score, resolution_A=4.0,
                  reliable=reliable, reason=None if reliable else "no rings", elapsed_ms=1.0,
                  estimator=ESTIMATOR, version="test")  # fmt: skip


def test_frames_are_averaged_with_inverse_variance_weights() -> None:
    combined = combine_fits([fit(10.0, 0.0, 1.0), fit(12.0, 0.0, 2.0)], [1, 2])
    assert combined.astig_x_nm == pytest.approx((10.0 * 1.0 + 12.0 * 0.25) / 1.25)
    assert combined.astig_nm == pytest.approx(combined.astig_x_nm)
    assert combined.astig_uncertainty_nm >= 1.0 / math.sqrt(1.25)
    assert combined.reliable and combined.parameters["measurement_ids"] == [1, 2]
    assert combined.defocus1_nm - combined.defocus2_nm == pytest.approx(combined.astig_nm)


def test_the_average_is_reliable_only_if_every_frame_is_and_they_agree() -> None:
    bad = combine_fits([fit(10.0, 0.0), fit(10.0, 0.0, reliable=False)], [1, 2])
    assert not bad.reliable and bad.reason == "frame 2 of 2: no rings"
    apart = combine_fits([fit(0.0, 0.0, 1.0), fit(50.0, 0.0, 1.0)], [1, 2])
    assert not apart.reliable and "disagree" in apart.reason
    assert apart.astig_uncertainty_nm > 20.0  # inflated by the scatter
    assert not unfittable("blank").reliable and math.isnan(unfittable("blank").astig_nm)


def test_fit_optics_come_from_snapshot_inventory_and_frame() -> None:
    from tests.procedures.test_store import snapshot

    shot = replace(snapshot(7), ht_kv=200.0)
    optics, aniso = optics_for(shot, OpticsDefaults(cs_mm=2.0), 1.3, binning=2)
    assert (optics.kv, optics.cs_mm, optics.pixel_size_A, aniso) == (200.0, 2.0, 1.3, None)
    spec = AnisoMagSpec(scale_major=1.01, scale_minor=0.99, angle_deg=30.0)
    table = OpticsDefaults(magnifications=(MagnificationOptics(mag_index=7, pixel_size_A=1.05,
                                                               aniso=spec),))  # fmt: skip
    optics, aniso = optics_for(shot, table, 1.3, binning=2)
    assert optics.pixel_size_A == pytest.approx(2.1) and aniso.angle_deg == 30.0


async def test_acquire_and_fit_averages_records_and_survives_a_blank_frame(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_defocus_nm(2000.0)
    ctx = await rig.runtime()
    combined, frames = await ctx.acquire_and_fit(exposure_s=2.0, frames=3)
    assert len(frames) == 3 and combined.parameters["frames"] == 3
    assert all(isinstance(i, int) for i in combined.parameters["measurement_ids"])
    assert combined.reliable
    rig.microscope.faults.arm(FaultSpec(kind="blank_frame", endpoint="acquire"))
    blank, _ = await ctx.acquire_and_fit(exposure_s=2.0)
    assert not blank.reliable and "cannot be fitted" in blank.reason
    await ctx.emit("step", {"vector": np.array([1.0, np.nan])})
    assert rig.events[-1] == ("step", {"vector": [1.0, None]})


async def test_cancel_between_steps_stops_before_the_next_move(make_rig) -> None:
    rig = make_rig()
    await rig.scope.set_defocus_nm(2000.0)
    await rig.save_true_calibration()
    await rig.aim((150.0, 0.0))
    cancel, events = asyncio.Event(), []

    async def cancel_after_the_first_fit(kind: str, payload: dict) -> None:
        events.append(kind)
        if kind == "fit":
            cancel.set()

    parts = {"fit": rig.fit, "calibrations": rig.store, "events": cancel_after_the_first_fit}
    ctx = await runtime_for(rig.scope, SCOPE_ID, cancel=cancel, **parts)
    with pytest.raises(asyncio.CancelledError):
        await correct.run(ctx, correct.CorrectParams(exposure_s=4.0))
    assert events == ["start", "fit"]
