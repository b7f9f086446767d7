"""check_pixel_size on the simulated scope: a wrong declared pixel size shows as a wrong Cs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from astigd.app.db.models import Measurement
from astigd.app.procedures import check_pixel_size
from astigd.app.procedures.check_pixel_size import CheckPixelSizeParams
from astigd.app.procedures.optics import pool_fitter
from astigd.drivers.simulator.config import CameraConfig
from tests.procedures.conftest import config
from tests.procedures.rig import declared_optics

pytestmark = pytest.mark.anyio
MAG_INDEX = 8  # 105 kx, 0.81 Å/px


async def checked(make_rig, declared_error: float) -> tuple[dict, object]:
    """Declare the pixel size (1 + error) × true at 105 kx, run the check, return its result."""
    rig = make_rig(config(5, camera=CameraConfig(frame_px=4096)))
    await rig.scope.set_mag_index(MAG_INDEX)
    await rig.aim([0.0, 0.0])
    optics = declared_optics(rig.microscope)
    true_A = rig.truth()["pixel_size_A"]
    rows = tuple(
        m.model_copy(update={"pixel_size_A": true_A * (1.0 + declared_error)})
        if m.mag_index == MAG_INDEX
        else m
        for m in optics.magnifications
    )
    rig.fit = pool_fitter(rig.executor, optics.model_copy(update={"magnifications": rows}))
    rig.start_defocus_nm = await rig.scope.get_defocus_nm()
    result = await check_pixel_size.run(await rig.runtime(), CheckPixelSizeParams())
    return rig.json_ready(result), rig


@pytest.mark.parametrize("declared_error", [0.02, -0.02], ids=["large", "small"])
async def test_a_pixel_size_declared_two_percent_wrong_is_detected_and_sized(
    make_rig, declared_error
):
    result, rig = await checked(make_rig, declared_error)
    assert result["pixel_size_error"] == pytest.approx(declared_error, abs=0.005)
    assert result["flagged"] is True
    assert result["cs_fit_mm"] == pytest.approx(2.7 * (1.0 + result["pixel_size_error"]) ** 4)
    assert result["defocus_bias_fraction"] == pytest.approx(
        (1.0 + result["pixel_size_error"]) ** 2 - 1.0
    )
    assert await rig.scope.get_defocus_nm() == pytest.approx(rig.start_defocus_nm, abs=1.0)
    with rig.sessions() as session:  # one live fit per defocus, each at the nominal Cs
        rows = session.scalars(select(Measurement)).all()
    assert len(rows) == len(CheckPixelSizeParams().defoci_nm)
    assert {row.parameters["optics"]["cs_mm"] for row in rows} == {2.7}
    (stored,) = await rig.store.history("pixel_size_check", snapshot=await rig.scope.snapshot())
    assert stored["id"] == result["pixel_size_check_id"] and stored["mag_index"] == MAG_INDEX
    kept = ("cs_fit_mm", "cs_nominal_mm", "pixel_size_error_percent", "defocus_bias_fraction",
            "defocus_bias_nm_at_mean", "flagged", "frame_defocus_nm", "pixel_size_A")  # fmt: skip
    assert {name: stored[name] for name in kept} == {name: result[name] for name in kept}
    assert stored["defoci_nm"] == list(CheckPixelSizeParams().defoci_nm)


async def test_a_correct_pixel_size_is_not_flagged(make_rig):
    result, rig = await checked(make_rig, 0.0)
    assert abs(result["pixel_size_error"]) < 0.005
    assert result["flagged"] is False
    (stored,) = await rig.store.history("pixel_size_check")  # unflagged checks are kept too
    assert stored["flagged"] is False and stored["id"] == result["pixel_size_check_id"]
