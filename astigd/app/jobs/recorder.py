"""Write a job event to the database first, then publish it to the job's subscribers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.db.models import Job, JobEvent
from astigd.app.jobs.bus import EventBus, JobEventOut
from astigd.app.jobs.db_threads import DbThreads
from astigd.app.jobs.store import append_event
from astigd.outputs.records import json_safe

STATE_EVENT = "state"  # payload {"state": ..., "error": ..., "result": ...}


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

    async def emit_state(self, job: Job | uuid.UUID, state: str, **details: Any) -> None:
        """Store and publish a state-change event."""
        job_id = job.id if isinstance(job, Job) else job
        await self.emit(job_id, STATE_EVENT, {"state": state, **details})
