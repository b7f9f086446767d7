"""The audit hook: every optics change becomes an `optics_audit` row, with the job if any."""

from __future__ import annotations

import asyncio
import uuid
from contextvars import ContextVar

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.db.models import OpticsAudit
from astigd.drivers.audit import AuditHook
from astigd.drivers.records import AuditRecord
from astigd.outputs.records import json_safe

# The job whose task is moving the scope; set by the job runner around a job.
current_job_id: ContextVar[uuid.UUID | None] = ContextVar("current_job_id", default=None)


def db_audit_hook(sessions: sessionmaker[Session], scope_id: str) -> AuditHook:
    """Return a hook that writes each optics change of `scope_id` to the audit table.

    The row is written in a worker thread: a database wait must never block the event loop.
    """

    async def write(record: AuditRecord) -> None:
        row = OpticsAudit(
            scope_id=scope_id,
            what=record.what,
            before=json_safe(record.before),
            after=json_safe(record.after),
            requested=json_safe(record.requested),
            error=record.error,
            job_id=current_job_id.get(),
            changed_at=record.at,
        )
        await asyncio.to_thread(_insert, sessions, row)

    return write


def _insert(sessions: sessionmaker[Session], row: OpticsAudit) -> None:
    with sessions() as session:
        session.add(row)
        session.commit()
