"""The daily acceptance schedule: at each scope's UTC time, submit an `acceptance` job.

A scope is skipped when an acceptance job was already created that UTC day (scheduled or not).
Each scope's job takes its parameters from `acceptance_params` (defaults where none are given).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from astigd.app.core.config import JobsSettings
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
            params = scheduled_params(runner.settings, scope_id)
            job = await runner.submit(scope_id, acceptance.NAME, params, SCHEDULER, True, now)
            log.info("acceptance submitted", scope_id=scope_id, job_id=str(job.id))
            submitted.append(job)
    return submitted


def scheduled_params(settings: JobsSettings, scope_id: str) -> dict[str, Any]:
    """Return a scope's scheduled acceptance parameters, validated, with defaults filled in."""
    given = settings.acceptance_params.get(scope_id, {})
    try:
        params = PROCEDURES[acceptance.NAME].params.model_validate(given)
    except ValidationError as error:
        raise ValueError(f"jobs.acceptance_params[{scope_id!r}]: {error}") from None
    return params.model_dump(mode="json")


def check_schedule(settings: JobsSettings) -> None:
    """Raise ValueError naming the scope when any scheduled acceptance has invalid parameters."""
    for scope_id in settings.acceptance_params:
        scheduled_params(settings, scope_id)


async def acceptance_loop(runner: JobRunner, clock: Callable[[], datetime] = utc_now) -> None:
    """Check the schedule every `schedule_poll_s` until cancelled."""
    while True:
        try:
            await submit_due_acceptance(runner, clock())
        except Exception:
            log.exception("acceptance schedule check failed")
        await asyncio.sleep(runner.settings.schedule_poll_s)
