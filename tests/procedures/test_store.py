"""The database calibration store: append-only rows, current at now, nearest-mag fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from astigd.app.procedures.store import DbCalibrationStore
from astigd.drivers.records import Illumination, MagEntry, OpticsSnapshot, ScopeIdentity
from tests.procedures.rig import SCOPE_ID

pytestmark = pytest.mark.anyio

RESPONSE = {"matrix_nm_per_unit": [[1000.0, -50.0], [40.0, 900.0]], "residual_rms_nm": 2.0,
            "residuals_nm": [{"label": "start"}], "n_probes": 9, "defocus_nm": 2000.0}  # fmt: skip


def snapshot(mag_index: int, ht_kv: float = 300.0, probe: str = "MICROPROBE") -> OpticsSnapshot:
    mag = MagEntry(mag_index, 1000.0 * mag_index, 85.0 / mag_index)
    return OpticsSnapshot(ScopeIdentity("sim", "sim"), ht_kv, Illumination(probe), mag,
                          0.0, 0.0, 2000.0, (0.0, 0.0), datetime.now(UTC))  # fmt: skip


def response(xx: float) -> dict:
    return {**RESPONSE, "matrix_nm_per_unit": [[xx, -50.0], [40.0, 900.0]]}


@pytest.fixture
def store(sessions) -> DbCalibrationStore:
    return DbCalibrationStore(sessions, SCOPE_ID)


async def test_the_newest_row_for_the_optics_is_current(store) -> None:
    first = await store.save("stigmator_response", snapshot(7), response(1000.0))
    second = await store.save("stigmator_response", snapshot(7), response(1100.0))
    current = await store.current("stigmator_response", snapshot(7))
    assert second > first and current["id"] == second and not current["fallback"]
    assert current["matrix_nm_per_unit"] == [[1100.0, -50.0], [40.0, 900.0]]
    assert current["mag_index"] == 7 and current["residuals_nm"] == [{"label": "start"}]
    assert datetime.fromisoformat(current["created_at"]).tzinfo is not None
    assert [row["id"] for row in await store.history("stigmator_response")] == [second, first]


async def test_lookup_falls_back_to_the_nearest_magnification_and_says_so(store) -> None:
    await store.save("stigmator_response", snapshot(4), response(400.0))
    await store.save("stigmator_response", snapshot(8), response(800.0))
    await store.save("stigmator_response", snapshot(12), response(1200.0))
    nearest = await store.current("stigmator_response", snapshot(7))
    assert nearest["fallback"] and nearest["mag_index"] == 8
    tie = await store.current("stigmator_response", snapshot(10))
    assert tie["mag_index"] == 12  # equally near: the higher magnification
    assert await store.current("stigmator_response", snapshot(7), same_mag_only=True) is None


async def test_other_probe_modes_and_voltages_are_never_used(store) -> None:
    await store.save("stigmator_response", snapshot(7, probe="NANOPROBE"), response(1.0))
    await store.save("stigmator_response", snapshot(7, ht_kv=200.0), response(2.0))
    assert await store.current("stigmator_response", snapshot(7)) is None
    assert await store.history("stigmator_response", snapshot=snapshot(7)) == []
    assert len(await store.history("stigmator_response")) == 2


async def test_lens_sweeps_and_magnification_profiles_keep_their_points(store) -> None:
    points = [{"defocus_nm": 500.0 + 100 * i, "astig_x_nm": i, "astig_y_nm": -i,
               "astig_uncertainty_nm": 1.0, "measurement_id": None} for i in range(3)]  # fmt: skip
    sweep = {"k_obj_nm_per_um": 20.0, "k_obj_se_nm_per_um": 0.5, "angle_deg": 30.0,
             "angle_se_deg": 1.0, "slope_nm_per_um": [10.0, 17.3], "r_squared": 0.99,
             "reference_defocus_nm": 600.0, "astig_ref_nm": [1.0, -1.0], "defocus_min_nm": 500.0,
             "defocus_max_nm": 700.0, "n_points": 3, "points": points}  # fmt: skip
    sweep_id = await store.save("lens_sweep", snapshot(7), sweep)
    stored = await store.current("lens_sweep", snapshot(7))
    assert stored["id"] == sweep_id and stored["points"] == points
    assert stored["slope_nm_per_um"] == [10.0, 17.3] and stored["astig_ref_nm"] == [1.0, -1.0]
    point = {"mag_index": 9, "magnification": 130000.0, "astig_x_nm": 1.0, "astig_y_nm": 2.0,
             "astig_uncertainty_nm": 0.5, "stig_x": 0.1, "stig_y": -0.1,
             "measurement_id": None, "astig_rmsd_nm": 0.7, "fitted_defocus_nm": 2031.0,
             "defocus_rmsd_nm": 4.5, "n_frames": 3, "n_rejected": 1, "reemerged_x_nm": 12.0,
             "reemerged_y_nm": -5.0,
             "direct_correction": {"astig_after_nm": 3.0, "moves": 2}}  # fmt: skip
    profile = {"defocus_nm": 2000.0, "points": [point]}
    await store.save("mag_profile", snapshot(9), profile)
    stored = await store.current("mag_profile", snapshot(3))  # not keyed by magnification
    assert stored["points"] == profile["points"] and stored["mag_index"] is None
    assert stored["n_points"] == 1 and not stored["fallback"]


async def test_an_unknown_kind_is_refused(store) -> None:
    with pytest.raises(ValueError, match="unknown calibration kind"):
        await store.save("beam_tilt", snapshot(7), {})
