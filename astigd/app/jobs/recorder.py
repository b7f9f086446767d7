"""Write a job event to the database first, then publish it to the job's subscribers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.db.models import Job, JobEvent, JobState
from astigd.app.jobs.bus import EventBus, JobEventOut
from astigd.app.jobs.db_threads import DbThreads
from astigd.app.jobs.store import append_event, create_job, move_state
from astigd.outputs.records import json_safe


def event_out(event: JobEvent) -> JobEventOut:
    """Return a stored event as subscribers see it."""
    created_at = event.created_at.isoformat()
    return JobEventOut(event.job_id, event.seq, event.kind, dict(event.payload), created_at)


class EventRecorder:
    """Append events (seq + 1 each) and publish them once stored."""

    def __init__(self, sessions: sessionmaker[Session], bus: EventBus, threads: DbThreads) -> None:
        """Write through `sessions` in `threads`, publish on `bus`."""
        self._sessions, self.bus, self._threads = sessions, bus, threads

    async def emit(self, job_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> JobEventOut:
        """Store the event, then publish it; return it."""
        event = await self._threads.run(self._append, job_id, kind, json_safe(payload))
        self.bus.publish(event)
        return event

    def _append(self, job_id: uuid.UUID, kind: str, payload: dict[str, Any]) -> JobEventOut:
        with self._sessions() as session:
            return event_out(append_event(session, job_id, kind, payload))

    async def create_job(
        self,
        scope_id: str,
        procedure: str,
        params: dict[str, Any],
        by: str | None,
        created_at: datetime | None = None,
    ) -> Job:
        """Store a queued job with its first state event, then publish the event."""

        def create() -> tuple[Job, JobEventOut]:
            with self._sessions() as session:
                job, event = create_job(session, scope_id, procedure, params, by, created_at)
                return job, event_out(event)

        job, event = await self._threads.run(create)
        self.bus.publish(event)
        return job

    async def move_state(
        self, job_id: uuid.UUID, old: JobState, new: JobState, details: dict[str, Any], **values
    ) -> bool:
        """Move the job from `old` to `new` with its state event (one commit); publish it.

        `details` join the event's payload; `values` are other job columns to set. Returns
        False, and changes nothing, if the job was no longer in `old`.
        """

        def move() -> JobEventOut | None:
            with self._sessions() as session:
                event = move_state(session, job_id, old, new, json_safe(details), **values)
                return None if event is None else event_out(event)

        event = await self._threads.run(move)
        if event is not None:
            self.bus.publish(event)
        return event is not None
