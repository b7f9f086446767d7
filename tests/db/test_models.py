"""Model behaviour on the real database: UTC times, append-only rows, constraints, WAL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from astigd.app.db.base import AppendOnlyError
from astigd.app.db.calibrations import current_calibration, illumination_key
from astigd.app.db.models import Job, JobEvent, Scope, StigmatorCalibration
from astigd.drivers.records import Illumination, OpticsKey
from tests.database import on_postgresql

KEY = OpticsKey(300.0, 23, Illumination(probe_mode="nanoprobe"))
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def scope(session):
    session.add(Scope(id="krios", driver="simulator"))
    session.commit()
    return "krios"


def calibration(scope_id, created_at, xx, key=KEY):
    return StigmatorCalibration(
        scope_id=scope_id,
        ht_kv=key.ht_kv,
        mag_index=key.mag_index,
        probe_mode_or_alpha=illumination_key(key.illumination),
        response_xx_nm=xx,
        response_xy_nm=0.0,
        response_yx_nm=0.0,
        response_yy_nm=xx,
        created_at=created_at,
    )


def test_times_come_back_timezone_aware_in_utc(session, scope):
    plus_two = timezone(timedelta(hours=2))
    job = Job(scope_id=scope, procedure="correct", created_at=T0.astimezone(plus_two))
    session.add(job)
    session.commit()
    session.expire_all()
    stored = session.get(Job, job.id)
    assert stored.created_at == T0
    assert stored.created_at.tzinfo == UTC
    assert stored.state == "queued"


def test_naive_datetimes_are_refused(session, scope):
    session.add(Job(scope_id=scope, procedure="correct", created_at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_current_calibration_is_the_newest_at_or_before_the_time(session, scope):
    for hours, xx in ((0, 100.0), (24, 110.0), (48, 120.0)):
        session.add(calibration(scope, T0 + timedelta(hours=hours), xx))
    other_key = OpticsKey(300.0, 24, Illumination(probe_mode="nanoprobe"))
    session.add(calibration(scope, T0 + timedelta(hours=30), 999.0, other_key))
    session.commit()
    at = T0 + timedelta(hours=30)
    assert current_calibration(session, StigmatorCalibration, scope, KEY, at).response_xx_nm == 110
    assert current_calibration(session, StigmatorCalibration, scope, KEY).response_xx_nm == 120
    before = T0 - timedelta(seconds=1)
    assert current_calibration(session, StigmatorCalibration, scope, KEY, before) is None


def test_calibrations_are_never_updated_in_place(session, scope):
    row = calibration(scope, T0, 100.0)
    session.add(row)
    session.commit()
    row.response_xx_nm = 105.0
    with pytest.raises(AppendOnlyError, match="append-only"):
        session.commit()


def test_job_event_sequence_numbers_are_unique_per_job(session, scope):
    job = Job(scope_id=scope, procedure="correct")
    session.add(job)
    session.commit()
    session.add_all(
        [JobEvent(job_id=job.id, seq=1, kind="start"), JobEvent(job_id=job.id, seq=1, kind="step")]
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_job_state_must_be_a_known_state(session, scope):
    session.add(Job(id=uuid.uuid4(), scope_id=scope, procedure="correct", state="paused"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_measurements_must_name_a_known_scope(session):
    from astigd.app.db.models import Measurement

    session.add(
        Measurement(scope_id="nowhere", source="upload", reliable=True, estimator="x", version="0")
    )
    with pytest.raises(IntegrityError):
        session.commit()


@pytest.mark.skipif(on_postgresql(), reason="SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(session):
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
