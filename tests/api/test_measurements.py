"""GET /api/v1/measurements filters by scope, job, time and verdict, and pages newest first."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from astigd.app.db.engine import make_session_factory
from astigd.app.db.measurements import store_fit
from astigd.app.db.models import Job, Measurement, Scope
from astigd.workers.results import CtfFit

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
FIT = CtfFit(
    defocus1_nm=1540.0,
    defocus2_nm=1460.0,
    angle_deg=30.0,
    astig_nm=80.0,
    astig_x_nm=40.0,
    astig_y_nm=69.3,
    astig_uncertainty_nm=2.0,
    defocus_mean_nm=1500.0,
    defocus_uncertainty_nm=1.0,
    phase_shift_deg=0.0,
    score=0.4,
    resolution_A=float("inf"),
    reliable=True,
    reason=None,
    elapsed_ms=150.0,
    estimator="astigd-ctf",
    version="0.1.0",
)


@pytest.fixture
def stored(client, database_engine):
    """Six measurements an hour apart: two scopes, one job, one unreliable."""
    job_id = uuid.uuid4()
    with make_session_factory(database_engine)() as session:
        session.add(Scope(id="krios2", driver="thermo"))
        session.add(Job(id=job_id, scope_id="sim", procedure="correct"))
        session.commit()
        for hour in range(6):
            fit = FIT if hour != 4 else replace(FIT, reliable=False, reason="rings too faint")
            row = store_fit(
                session,
                fit,
                "upload",
                "krios2" if hour == 5 else "sim",
                job_id if hour in (1, 2) else None,
            )
            _set_created_at(session, row.id, T0 + timedelta(hours=hour))
    return job_id


def _set_created_at(session, row_id: int, moment: datetime) -> None:
    """Backdate a row for the test (the ORM refuses updates of append-only rows)."""
    table = Measurement.__table__
    session.execute(table.update().where(table.c.id == row_id).values(created_at=moment))
    session.commit()


def get(client, reader, **params):
    response = client.get("/api/v1/measurements", params=params, headers=reader)
    assert response.status_code == 200, response.text
    return response.json()


def test_measurements_come_newest_first_with_a_total(client, reader, stored):
    page = get(client, reader)
    assert page["total"] == 6
    times = [item["created_at"] for item in page["items"]]
    assert times == sorted(times, reverse=True)
    assert page["items"][0]["resolution_A"] is None  # infinity is stored as null


def test_filters_by_scope_job_verdict_and_time(client, reader, stored):
    assert get(client, reader, scope_id="krios2")["total"] == 1
    assert get(client, reader, job_id=str(stored))["total"] == 2
    unreliable = get(client, reader, reliable="false")["items"]
    assert [item["reason"] for item in unreliable] == ["rings too faint"]
    window = {
        "since": (T0 + timedelta(hours=1)).isoformat(),
        "until": (T0 + timedelta(hours=3)).isoformat(),
    }
    assert get(client, reader, **window)["total"] == 3
    assert get(client, reader, since="2026-05-04T15:30:00+02:00")["total"] == 4


def test_times_past_the_calendar_edges_clamp_instead_of_failing(client, reader, stored):
    """Year 1 at +01:00 is before the first UTC instant; it still means "from the start"."""
    assert get(client, reader, since="0001-01-01T00:00:01+01:00")["total"] == 6
    assert get(client, reader, until="9999-12-31T23:59:59-01:00")["total"] == 6


def test_limit_and_offset_page_through(client, reader, stored):
    first, second = get(client, reader, limit=4), get(client, reader, limit=4, offset=4)
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 6 and first["limit"] == 4 and second["offset"] == 4


def test_scopes_lists_the_default_simulated_scope(client, reader):
    (scope,) = client.get("/api/v1/scopes", headers=reader).json()
    assert scope["id"] == "sim" and scope["driver"] == "simulator"
    assert scope["optics"]["kv"] == 300
    assert client.get("/api/v1/scopes/sim", headers=reader).json() == scope
