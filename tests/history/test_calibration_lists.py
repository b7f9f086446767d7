"""GET stigmator calibrations (newest per optics key) and magnification profiles."""

from __future__ import annotations

import asyncio

import pytest

from astigd.app.procedures.store import DbCalibrationStore
from tests.live.conftest import snapshot

MATRIX = [[80.0, 0.0], [0.0, 90.0]]


def save(app, kind: str, record: dict, **where) -> int:
    store = DbCalibrationStore(app.state.sessions, "sim")
    return asyncio.run(store.save(kind, snapshot(**where), record))


def test_stigmator_calibrations_are_the_newest_per_optics_key(client, app, reader):
    record = {"matrix_nm_per_unit": MATRIX, "residual_rms_nm": 1.0, "n_probes": 5}
    save(app, "stigmator_response", record, mag_index=5)
    newest_at_5 = save(app, "stigmator_response", record, mag_index=5)
    at_7 = save(app, "stigmator_response", record, mag_index=7)
    items = client.get("/api/v1/scopes/sim/calibrations/stigmator", headers=reader).json()["items"]
    assert {(item["mag_index"], item["id"]) for item in items} == {(5, newest_at_5), (7, at_7)}
    assert items[0]["matrix_nm_per_unit"] == MATRIX
    assert items[0]["column_angle_deg"] == pytest.approx(90.0)


def test_magnification_profiles_come_with_their_points(client, app, reader):
    points = [
        {"mag_index": m, "magnification": 1000.0 * m, "astig_x_nm": 3.0 * m, "astig_y_nm": 4.0 * m,
         "stig_x": 0.01 * m, "stig_y": 0.0, "astig_rmsd_nm": 0.5 * m,
         "fitted_defocus_nm": 1500.0 + 10 * m, "defocus_rmsd_nm": 2.0 * m, "n_frames": 3,
         "n_rejected": m - 3, "reemerged_x_nm": 6.0 * (m - 3) or None,
         "reemerged_y_nm": 8.0 * (m - 3) or None,
         "direct_correction": {"astig_after_nm": 2.0, "moves": 1} if m == 4 else None}
        for m in (3, 4)
    ]  # fmt: skip
    profile_id = save(app, "mag_profile", {"defocus_nm": 1500.0, "points": points})
    items = client.get("/api/v1/scopes/sim/magnification-profiles", headers=reader).json()["items"]
    (profile,) = items
    assert profile["id"] == profile_id and profile["n_points"] == 2
    first, second = profile["points"]
    assert [p["astig_nm"] for p in profile["points"]] == pytest.approx([15.0, 20.0])
    assert [p["astig_rmsd_nm"] for p in profile["points"]] == [1.5, 2.0]
    assert [p["fitted_defocus_nm"] for p in profile["points"]] == [1530.0, 1540.0]
    assert [p["defocus_rmsd_nm"] for p in profile["points"]] == [6.0, 8.0]
    assert [(p["n_frames"], p["n_rejected"]) for p in profile["points"]] == [(3, 0), (3, 1)]
    assert first["reemerged_vec_nm"] is None and first["reemerged_nm"] is None
    assert second["reemerged_vec_nm"] == [6.0, 8.0] and second["reemerged_nm"] == 10.0
    assert first["direct_correction"] is None
    assert second["direct_correction"] == {"astig_after_nm": 2.0, "moves": 1}


def test_an_anisotropy_calibration_serves_its_angle_uncertainty(client, app, reader):
    aniso = {"scale_major": 1.01, "scale_minor": 0.99, "angle_deg": 35.0,
             "anisotropy_uncertainty": 2e-4, "angle_uncertainty_deg": 0.8, "method": "gold-rings",
             "n_frames": 4}  # fmt: skip
    calibration_id = save(app, "aniso_mag", aniso, mag_index=8)
    url = "/api/v1/scopes/sim/calibrations/magnification"
    (row,) = client.get(url, headers=reader).json()["aniso_mag"]
    assert row["id"] == calibration_id and row["angle_uncertainty_deg"] == 0.8


BTID = {
    "tilt_mrad": 5.0, "n_directions": 4, "reference_method": "ctf", "reference_defocus_nm": 1000.0,
    "reference_astig_x_nm": 3.0, "reference_astig_y_nm": 4.0,
    "reference_astig_uncertainty_nm": 2.0, "reference_stig_x": 0.1, "reference_stig_y": -0.2,
    "g_reference": [[-7.0, 9.0], [-6.0, -9.0]],
    "focus_response": [[-0.007, 0.006], [-0.006, -0.007]],
    "stigmator_shift_responses": [[[-11.0, -3.0], [-3.0, 11.0]], [[4.0, -12.0], [-13.0, -4.0]]],
    "astig_response_nm_per_unit": [[1300.0, -2400.0], [2000.0, 1500.0]], "focus_step_nm": 500.0,
    "stig_step": 0.1, "residual_rms_px": 0.2,
}  # fmt: skip


def test_btid_calibration_history_lists_every_row_newest_first(client, app, reader):
    first = save(app, "btid", BTID, mag_index=3)
    second = save(app, "btid", {**BTID, "tilt_mrad": 4.0}, mag_index=3)
    other = save(app, "btid", BTID, mag_index=7)
    url = "/api/v1/scopes/sim/calibrations/btid"
    items = client.get(url, headers=reader).json()["items"]
    assert [item["id"] for item in items] == [other, second, first]
    at_3 = client.get(url, params={"mag_index": 3}, headers=reader).json()["items"]
    assert [(item["id"], item["tilt_mrad"]) for item in at_3] == [(second, 4.0), (first, 5.0)]
    assert at_3[0]["focus_response"] == BTID["focus_response"]
    assert at_3[0]["reference_astig_nm"] == pytest.approx(5.0)
    assert client.get("/api/v1/scopes/nowhere/calibrations/btid", headers=reader).status_code == 404
    assert client.get(url, params={"limit": 0}, headers=reader).status_code == 422
