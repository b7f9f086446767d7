"""Cs/pixel-size checks: stored append-only per optics key and listed by time and magnification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from astigd.app.db.base import AppendOnlyError
from astigd.app.db.models import PixelSizeCheck
from tests.history.test_calibration_lists import save

URL = "/api/v1/scopes/sim/calibrations/pixel-size-checks"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CHECK = {
    "pixel_size_A": 0.81, "cs_nominal_mm": 2.7, "cs_fit_mm": 2.92,
    "pixel_size_error_percent": 1.98, "pixel_size_error_sd_percent": 0.3,
    "defocus_bias_fraction": 0.04, "defocus_bias_nm_at_mean": 31.0,
    "flagged": True, "flag_percent": 0.5, "defoci_nm": [400.0, 800.0, 1200.0],
    "frame_defocus_nm": [416.0, 832.0], "frame_errors": [0.021, 0.018], "frames_skipped": 1,
}  # fmt: skip


def add_check(service, at: datetime, error_percent: float, mag_index: int = 8) -> int:
    """Write one check row at a given time, through the model."""
    with service.state.sessions() as session:
        row = PixelSizeCheck(
            scope_id="sim", ht_kv=300.0, probe_mode_or_alpha="none", mag_index=mag_index,
            created_at=at, **{**CHECK, "pixel_size_error_percent": error_percent},
        )  # fmt: skip
        session.add(row)
        session.commit()
        return row.id


def test_a_check_is_stored_with_its_series_and_served(client, app, reader):
    check_id = save(app, "pixel_size_check", CHECK, mag_index=8)
    response = client.get(URL, headers=reader)
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    assert item["id"] == check_id and item["kind"] == "pixel_size_check"
    assert (item["mag_index"], item["ht_kv"], item["probe_mode_or_alpha"]) == (8, 300.0, "none")
    assert {name: item[name] for name in CHECK} == CHECK
    assert response.json()["units"]["pixel_size_error"] == "%"


def test_a_stored_check_is_never_updated_in_place(client, app):
    check_id = save(app, "pixel_size_check", CHECK, mag_index=8)
    with app.state.sessions() as session:
        session.get(PixelSizeCheck, check_id).flagged = False
        with pytest.raises(AppendOnlyError, match="append-only"):
            session.commit()


def test_checks_are_listed_newest_first_by_time_and_magnification(client, app, reader):
    old, middle, new = (add_check(app, T0 + timedelta(days=d), 0.1 * d) for d in range(3))
    other = add_check(app, T0 + timedelta(days=1, hours=1), 2.0, mag_index=9)
    assert [i["id"] for i in client.get(URL, headers=reader).json()["items"]] == [
        new, other, middle, old,
    ]  # fmt: skip
    window = {"since": "2026-11-02T00:00:00Z", "until": "2026-11-02T23:59:59+00:00"}
    items = client.get(URL, params=window, headers=reader).json()["items"]
    assert [i["id"] for i in items] == [other, middle]
    at_8 = client.get(URL, params={**window, "mag_index": 8}, headers=reader).json()["items"]
    assert [(i["id"], i["pixel_size_error_percent"]) for i in at_8] == [(middle, 0.1)]
    newest = client.get(URL, params={"limit": 1}, headers=reader).json()["items"]
    assert [i["id"] for i in newest] == [new]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"since": "2026-11-03T00:00:00Z", "until": "2026-11-02T00:00:00Z"}, "is after until"),
        ({"since": "last tuesday"}, "ISO 8601"),
        ({"mag_index": -1}, "greater than or equal"),
        ({"limit": 0}, "greater than or equal"),
    ],
)
def test_bad_queries_are_refused_with_the_reason(client, reader, query, reason):
    response = client.get(URL, params=query, headers=reader)
    assert response.status_code == 422
    assert reason in response.text


def test_an_unknown_scope_or_a_missing_key_is_refused(client, reader):
    assert client.get(URL.replace("/sim/", "/nowhere/"), headers=reader).status_code == 404
    assert client.get(URL).status_code == 401
