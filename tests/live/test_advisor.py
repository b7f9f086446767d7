"""Advisor mode: no calibration said clearly; with one, Δs = −M⁻¹·A and compensation to a target."""

from __future__ import annotations

import numpy as np
import pytest

from astigd.workers.compensation import compensated_stigmators
from astigd.workers.stigmator_response import StigmatorResponse
from tests.live.conftest import MAG_INDEX, MATRIX, SLOPE, save_response, save_sweep, send_frame

URL = "/api/v1/ws/fit"
ADVISOR = {"scope_id": "sim", "mag_index": MAG_INDEX, "stig_x": 0.1, "stig_y": -0.2}


def live_fit(client, reader, frame, **extra) -> dict:
    with client.websocket_connect(URL, headers=reader) as ws:
        send_frame(ws, 1, frame, **ADVISOR, **extra)
        return ws.receive_json()


def response() -> StigmatorResponse:
    return StigmatorResponse(np.array(MATRIX), np.zeros(2), 0.0, 5)


def test_advice_without_a_calibration_says_so(client, reader, live_frame):
    reply = live_fit(client, reader, live_frame)
    assert reply["advice"]["available"] is False
    assert reply["advice"]["reason"].startswith("no stigmator calibration for scope 'sim'")


def test_advice_from_a_calibration_at_another_magnification_is_refused(
    client, app, reader, live_frame
):
    save_response(app, mag_index=MAG_INDEX + 3)
    advice = live_fit(client, reader, live_frame)["advice"]
    assert advice["available"] is False and "magnification index 8" in advice["reason"]


def test_advice_cancels_the_fitted_astigmatism_through_the_stored_response(
    client, app, reader, live_frame
):
    calibration_id = save_response(app)
    reply = live_fit(client, reader, live_frame)
    advice = reply["advice"]
    vector = np.array([reply["astig_x_nm"], reply["astig_y_nm"]])
    expected = np.array([0.1, -0.2]) - np.linalg.solve(MATRIX, vector)
    assert advice["available"] and not advice["stale"]
    assert [advice["stig_x"], advice["stig_y"]] == pytest.approx(expected.tolist())
    assert np.array(MATRIX) @ advice["delta_stig"] == pytest.approx(-vector)
    (used,) = advice["calibrations"]
    assert used["id"] == calibration_id and 0 <= used["age_h"] < 0.1


def test_advice_is_compensated_to_the_target_defocus_with_todays_k(client, app, reader, live_frame):
    save_response(app)
    without_sweep = live_fit(client, reader, live_frame, target_defocus_nm=3000.0)
    assert without_sweep["advice"]["compensated"]["available"] is False
    sweep_id = save_sweep(app, measurement_id=without_sweep["measurement_id"])
    reply = live_fit(client, reader, live_frame, target_defocus_nm=3000.0)
    advice = reply["advice"]
    here = np.array([advice["stig_x"], advice["stig_y"]])
    expected = compensated_stigmators(here, reply["defocus_mean_nm"], 3000.0, SLOPE, response())
    compensated = advice["compensated"]
    assert compensated["calibration"]["id"] == sweep_id
    assert [compensated["stig_x"], compensated["stig_y"]] == pytest.approx(expected.tolist())
