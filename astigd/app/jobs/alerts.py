"""Alerts: the `alert` events jobs raised (a lens slope off its history), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.db.models import Job, JobEvent

ALERT_EVENT = "alert"


def find_alerts(
    session: Session, scope_id: str | None, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """Return alert events with their job's scope and procedure, newest first."""
    query = (
        select(JobEvent, Job.scope_id, Job.procedure)
        .join(Job, JobEvent.job_id == Job.id)
        .where(JobEvent.kind == ALERT_EVENT)
    )
    if scope_id is not None:
        query = query.where(Job.scope_id == scope_id)
    if since is not None:
        query = query.where(JobEvent.created_at >= since)
    query = query.order_by(JobEvent.created_at.desc(), JobEvent.id.desc()).limit(limit)
    return [
        {
            "job_id": event.job_id,
            "seq": event.seq,
            "scope_id": scope,
            "procedure": procedure,
            "created_at": event.created_at,
            "payload": event.payload,
        }
        for event, scope, procedure in session.execute(query)
    ]
