"""The scope lease: a live one excludes everyone else; an expired one can be taken over."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from astigd.app.db.base import utc_now
from astigd.app.db.engine import make_session_factory
from astigd.app.db.models import Scope, ScopeLease
from astigd.app.jobs.leases import read_lease, release_lease, renew_lease, take_lease
from tests.jobs.conftest import QUICK_SWEEP, scope_state, submit, wait_final

TTL_S = 30.0


@pytest.fixture
def sessions(db_url, database_engine):
    factory = make_session_factory(database_engine)
    with factory() as session:
        session.add(Scope(id="krios", driver="thermo"))
        session.commit()
    return factory


def test_a_live_lease_cannot_be_taken_but_its_holder_keeps_and_renews_it(sessions):
    with sessions() as session:
        assert take_lease(session, "krios", "a", TTL_S)
        assert not take_lease(session, "krios", "b", TTL_S)
        assert take_lease(session, "krios", "a", TTL_S)
        assert renew_lease(session, "krios", "a", TTL_S)
        assert not renew_lease(session, "krios", "b", TTL_S)
        release_lease(session, "krios", "b")  # not b's: left alone
        assert read_lease(session, "krios").holder == "a"
        release_lease(session, "krios", "a")
        assert read_lease(session, "krios") is None
        assert take_lease(session, "krios", "b", TTL_S)


def test_a_lease_whose_holder_stopped_renewing_is_taken_over(sessions):
    with sessions() as session:
        assert take_lease(session, "krios", "crashed", TTL_S)
        later = utc_now() + timedelta(seconds=TTL_S + 1)
        assert not take_lease(session, "krios", "b", TTL_S, now=later - timedelta(seconds=2))
        assert take_lease(session, "krios", "b", TTL_S, now=later)
        assert read_lease(session, "krios").holder == "b"
        assert not renew_lease(session, "krios", "crashed", TTL_S)  # the old holder learns


def expire(database_engine, scope_id: str) -> None:
    with database_engine.begin() as connection:
        past = utc_now() - timedelta(seconds=1)
        connection.execute(
            update(ScopeLease).where(ScopeLease.scope_id == scope_id).values(expires_at=past)
        )


def test_jobs_wait_while_another_process_holds_the_scope_then_run(client, control, database_engine):
    with make_session_factory(database_engine)() as session:
        assert take_lease(session, "sim", "another-process", TTL_S)
    job = submit(client, control, "defocus_sweep", QUICK_SWEEP).json()
    assert submit(client, control, "defocus_sweep", QUICK_SWEEP, wait=False).status_code == 409
    time.sleep(1.0)  # two polls of the runner (lease_ttl_s = 2)
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=control).json()["state"] == "queued"
    lease = scope_state(client, control)["lease"]
    assert lease["holder"] == "another-process" and lease["alive"]
    expire(database_engine, "sim")
    assert wait_final(client, control, job["id"])["state"] == "succeeded"
    assert lease_released(client, control)  # once the queue emptied, just after the job ended


def lease_released(client, control, timeout_s: float = 10.0) -> bool:
    """Return whether the scope's lease is gone within the timeout (polled)."""
    deadline = time.monotonic() + timeout_s
    while scope_state(client, control)["lease"] is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
