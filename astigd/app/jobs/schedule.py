"""The daily acceptance schedule: at each scope's UTC time, submit an `acceptance` job.

A scope is skipped when an acceptance job was already created that UTC day (scheduled or not).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from astigd.app.core.logging import get_logger
from astigd.app.db.base import utc_now
from astigd.app.db.models import Job
from astigd.app.jobs.store import last_started
from astigd.app.procedures import PROCEDURES, acceptance

if TYPE_CHECKING:
    from astigd.app.jobs.runner import JobRunner

SCHEDULER = "schedule"
log = get_logger("astigd.jobs")


def acceptance_due(now: datetime, daily_at: time, last_at: datetime | None) -> bool:
    """Return whether today's acceptance is due: past its UTC time and none yet today."""
    now = now.astimezone(UTC)
    if now < datetime.combine(now.date(), daily_at, tzinfo=UTC):
        return False
    return last_at is None or last_at.astimezone(UTC).date() < now.date()


async def submit_due_acceptance(runner: JobRunner, now: datetime) -> list[Job]:
    """Submit an acceptance job on every scope whose daily time has come; return them."""
    submitted = []
    for scope_id, daily_at in runner.settings.acceptance_daily_utc.items():
        if scope_id not in runner.handles:
            continue
        last_at = await runner.db(last_started, scope_id, acceptance.NAME)
        if acceptance_due(now, daily_at, last_at):
            params = PROCEDURES[acceptance.NAME].params().model_dump(mode="json")
            job = await runner.submit(scope_id, acceptance.NAME, params, SCHEDULER, True, now)
            log.info("acceptance submitted", scope_id=scope_id, job_id=str(job.id))
            submitted.append(job)
    return submitted


async def acceptance_loop(runner: JobRunner, clock: Callable[[], datetime] = utc_now) -> None:
    """Check the schedule every `schedule_poll_s` until cancelled."""
    while True:
        try:
            await submit_due_acceptance(runner, clock())
        except Exception:
            log.exception("acceptance schedule check failed")
        await asyncio.sleep(runner.settings.schedule_poll_s)
