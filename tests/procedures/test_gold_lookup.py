"""Procedure fits and uploaded frames take the same stored gold calibration.

The rule: the newest for the scope, HT and magnification index, whatever the probe mode or alpha.
"""

from __future__ import annotations

import pytest

from astigd.app.api.fit_calibrations import with_stored_calibrations
from astigd.app.api.fit_inputs import FitInputs
from astigd.app.procedures.optics import calibration_ids, optics_for, stored_calibrations
from astigd.app.procedures.store import DbCalibrationStore
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings
from tests.procedures.rig import SCOPE_ID
from tests.procedures.test_store import snapshot

pytestmark = pytest.mark.anyio
MAG_INDEX = 8


def pixel(size_A: float) -> dict:
    return {"pixel_size_A": size_A, "pixel_size_uncertainty_A": 1e-4, "method": "gold_rings",
            "cs_mm_fitted": None}  # fmt: skip


def aniso(scale_major: float) -> dict:
    return {"scale_major": scale_major, "scale_minor": 1.0, "angle_deg": 30.0,
            "anisotropy_uncertainty": 1e-4, "method": "gold_rings", "n_frames": 4}  # fmt: skip


async def by_procedure(store: DbCalibrationStore, ht_kv: float, probe: str) -> tuple[dict, float]:
    """Return the calibration ids and pixel size a procedure's fit at these optics would use."""
    state = snapshot(MAG_INDEX, ht_kv=ht_kv, probe=probe)
    stored = await stored_calibrations(store, state)
    optics, _ = optics_for(state, None, 1.0, 1, stored)
    return calibration_ids(stored), optics.pixel_size_A


def by_upload(sessions, ht_kv: float) -> tuple[dict, float]:
    """Return the calibration ids and pixel size an uploaded frame at this HT would use."""
    inputs = FitInputs(Optics(1.0, ht_kv, 2.7), FitSettings(), None, {})
    used = with_stored_calibrations(sessions, SCOPE_ID, MAG_INDEX, inputs, False, False)
    kinds = ("pixel_size_calibration_id", "aniso_mag_calibration_id")
    return {kind: used.snapshot.get(kind) for kind in kinds}, used.optics.pixel_size_A


async def test_procedure_and_upload_fits_take_the_same_gold_calibration(sessions) -> None:
    store = DbCalibrationStore(sessions, SCOPE_ID)
    size_id = await store.save("pixel_size", snapshot(MAG_INDEX, probe="MICROPROBE"), pixel(0.80))
    aniso_id = await store.save("aniso_mag", snapshot(MAG_INDEX, probe="NANOPROBE"), aniso(1.01))
    await store.save("pixel_size", snapshot(MAG_INDEX + 1), pixel(0.70))  # another magnification
    other_ht = await store.save("pixel_size", snapshot(MAG_INDEX, ht_kv=200.0), pixel(0.95))
    expected = {"pixel_size_calibration_id": size_id, "aniso_mag_calibration_id": aniso_id}
    for probe in ("MICROPROBE", "NANOPROBE"):
        assert await by_procedure(store, 300.0, probe) == (expected, 0.80)
    assert by_upload(sessions, 300.0) == (expected, 0.80)

    newer = await store.save("pixel_size", snapshot(MAG_INDEX, probe="NANOPROBE"), pixel(0.81))
    expected["pixel_size_calibration_id"] = newer
    assert await by_procedure(store, 300.0, "MICROPROBE") == (expected, 0.81)
    assert by_upload(sessions, 300.0) == (expected, 0.81)

    at_200_kv = {"pixel_size_calibration_id": other_ht, "aniso_mag_calibration_id": None}
    assert await by_procedure(store, 200.0, "MICROPROBE") == (at_200_kv, 0.95)
    assert by_upload(sessions, 200.0) == (at_200_kv, 0.95)
