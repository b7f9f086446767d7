"""GET lens-history: daily k_obj and angle with standard errors, as JSON or CSV, with 304s."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from astigd.app.api.conditional import http_date
from tests.history.conftest import add_sweep

URL = "/api/v1/scopes/sim/lens-history"
DAY = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def sweeps(app) -> list[int]:
    """Three days of sweeps; the second day has two (its newest counts)."""
    return [
        add_sweep(app, DAY, 12.0, 40.0),
        add_sweep(app, DAY + timedelta(days=1), 13.0, 42.0),
        add_sweep(app, DAY + timedelta(days=1, hours=3), 14.0, 44.0),
        add_sweep(app, DAY + timedelta(days=2), 12.5, 41.0),
    ]


def test_lens_history_returns_one_row_per_day_with_standard_errors(client, reader, sweeps):
    body = client.get(URL, headers=reader).json()
    days = body["days"]
    assert [d["date"] for d in days] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert [d["k_obj_nm_per_um"] for d in days] == [12.0, 14.0, 12.5]
    assert days[1]["sweep_id"] == sweeps[2] and days[1]["n_sweeps"] == 2
    assert days[1]["k_obj_se_nm_per_um"] == pytest.approx(1.4)
    assert days[1]["angle_deg"] == 44.0 and days[1]["angle_se_deg"] == 1.5
    assert body["units"] == {"k_obj": "nm/µm", "angle": "deg"}


def test_lens_history_filters_by_time(client, reader, sweeps):
    params = {"since": "2026-11-02T00:00:00Z", "until": "2026-11-02T23:59:59Z"}
    days = client.get(URL, params=params, headers=reader).json()["days"]
    assert [d["date"] for d in days] == ["2026-11-02"]


def test_lens_history_as_csv(client, reader, sweeps):
    response = client.get(URL, headers={**reader, "Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["date"] for row in rows] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert float(rows[1]["k_obj_nm_per_um"]) == 14.0 and float(rows[1]["angle_se_deg"]) == 1.5


def test_etag_and_last_modified_give_304_until_a_new_sweep(client, app, reader, sweeps):
    first = client.get(URL, headers=reader)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == http_date(DAY + timedelta(days=2))
    again = client.get(URL, headers={**reader, "If-None-Match": etag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == etag
    since = client.get(URL, headers={**reader, "If-Modified-Since": modified})
    assert since.status_code == 304
    csv_copy = client.get(URL, headers={**reader, "Accept": "text/csv", "If-None-Match": etag})
    assert csv_copy.status_code == 200  # another representation, another tag
    add_sweep(app, DAY + timedelta(days=3), 20.0, 80.0)
    changed = client.get(URL, headers={**reader, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert client.get(URL, headers={**reader, "If-Modified-Since": modified}).status_code == 200


def test_lens_history_of_an_unknown_scope_is_404(client, reader):
    assert client.get("/api/v1/scopes/nope/lens-history", headers=reader).status_code == 404
