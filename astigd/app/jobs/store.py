"""Job rows and their events in the database: create, claim, finish, list, append, replay.

State changes are conditional UPDATEs (`WHERE state = ...`), so a cancel and a start racing
for a queued job cannot both win. Each commits with its `state` event, so a client that sees
a job's new state finds the event that announces it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobEvent, JobState

FINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED}
)
PENDING_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)
STATE_EVENT = "state"  # payload {"state": ..., "error": ..., "result": ...}


def create_job(
    session: Session,
    scope_id: str,
    procedure: str,
    params: dict,
    by: str | None,
    created_at: datetime | None = None,
) -> tuple[Job, JobEvent]:
    """Insert a queued job (created now, unless given) with its first state event."""
    job = Job(scope_id=scope_id, procedure=procedure, params=params, requested_by=by)
    job.created_at = created_at or utc_now()
    session.add(job)
    session.flush()
    event = _add_event(session, job.id, STATE_EVENT, {"state": JobState.QUEUED.value})
    session.commit()
    return job, event


def next_queued(session: Session, scope_id: str) -> Job | None:
    """Return the scope's oldest queued job (FIFO by created_at), or None."""
    query = select(Job).where(Job.scope_id == scope_id, Job.state == JobState.QUEUED.value)
    return session.scalars(query.order_by(Job.created_at, Job.id).limit(1)).first()


def jobs_in_state(session: Session, scope_id: str, state: JobState) -> Sequence[Job]:
    """Return the scope's jobs in a state, oldest first."""
    query = select(Job).where(Job.scope_id == scope_id, Job.state == state.value)
    return session.scalars(query.order_by(Job.created_at)).all()


def has_pending(session: Session, scope_id: str) -> bool:
    """Return whether the scope has a queued or running job."""
    query = select(Job.id).where(Job.scope_id == scope_id, Job.state.in_(PENDING_STATES))
    return session.scalars(query.limit(1)).first() is not None


def move_state(
    session: Session,
    job_id: uuid.UUID,
    old: JobState,
    new: JobState,
    details: dict[str, Any],
    **values: Any,
) -> JobEvent | None:
    """Move a job from `old` to `new` (with other columns) and append its state event.

    Returns the event, or None (and changes nothing) if the job was not in `old`.
    """
    moved = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == old.value)
        .values(state=new.value, **values)
    )
    if moved.rowcount != 1:
        session.rollback()
        return None
    event = _add_event(session, job_id, STATE_EVENT, {"state": new.value, **details})
    session.commit()
    return event


def append_event(session: Session, job_id: uuid.UUID, kind: str, payload: dict) -> JobEvent:
    """Append the job's next event (seq = last + 1) and return it."""
    event = _add_event(session, job_id, kind, payload)
    session.commit()
    return event


def _add_event(session: Session, job_id: uuid.UUID, kind: str, payload: dict) -> JobEvent:
    last = session.scalar(select(func.max(JobEvent.seq)).where(JobEvent.job_id == job_id))
    event = JobEvent(job_id=job_id, seq=(last or 0) + 1, kind=kind, payload=payload)
    session.add(event)
    return event


def events_after(
    session: Session, job_id: uuid.UUID, after_seq: int = 0, limit: int = 1000
) -> Sequence[JobEvent]:
    """Return the job's events with seq > after_seq, in order."""
    query = select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
    return session.scalars(query.order_by(JobEvent.seq).limit(limit)).all()


def list_jobs(session: Session, filters: dict[str, Any], limit: int, offset: int) -> Sequence[Job]:
    """Return jobs matching the non-None filters (scope_id, state, procedure), newest first."""
    query = select(Job)
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(Job, name) == value)
    query = query.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)
    return session.scalars(query).all()


def last_started(session: Session, scope_id: str, procedure: str) -> datetime | None:
    """Return when the scope's newest job of a procedure was created, or None."""
    query = select(func.max(Job.created_at)).where(
        Job.scope_id == scope_id, Job.procedure == procedure
    )
    return session.scalar(query)
