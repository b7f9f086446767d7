"""Job state changes commit together with the `state` event that announces them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from astigd.app.db.models import Job, JobState, Scope
from astigd.app.jobs.store import create_job, events_after, move_state


@pytest.fixture
def queued(session) -> Job:
    session.add(Scope(id="sim", driver="simulator"))
    session.commit()
    job, _ = create_job(session, "sim", "defocus_sweep", {}, by="tests")
    return job


def stored(session, job: Job) -> tuple[str, list[tuple[str, dict]]]:
    session.expire_all()
    state = session.scalar(select(Job.state).where(Job.id == job.id))
    return state, [(event.kind, event.payload) for event in events_after(session, job.id)]


def test_a_new_job_is_stored_with_its_queued_event(session, queued):
    assert stored(session, queued) == ("queued", [("state", {"state": "queued"})])


def test_a_move_stores_the_state_and_its_event_together(session, queued):
    event = move_state(session, queued.id, JobState.QUEUED, JobState.CANCELLED, {"error": "no"})
    assert (event.seq, event.payload) == (2, {"state": "cancelled", "error": "no"})
    assert stored(session, queued)[0] == "cancelled"


def test_a_move_from_the_wrong_state_changes_nothing(session, queued):
    assert move_state(session, queued.id, JobState.RUNNING, JobState.SUCCEEDED, {}) is None
    assert stored(session, queued) == ("queued", [("state", {"state": "queued"})])


def test_a_state_event_that_cannot_be_stored_leaves_the_state_unchanged(session, queued):
    with pytest.raises((StatementError, TypeError)):  # SQLite wraps it, psycopg does not
        move_state(session, queued.id, JobState.QUEUED, JobState.RUNNING, {"result": object()})
    session.rollback()
    assert stored(session, queued) == ("queued", [("state", {"state": "queued"})])
