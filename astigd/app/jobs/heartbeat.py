"""Renew the scope lease while a job runs; stop the job if the lease is lost."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from astigd.app.core.logging import get_logger
from astigd.app.jobs import leases
from astigd.app.jobs.control import JobControl

if TYPE_CHECKING:
    from astigd.app.jobs.runner import JobRunner

log = get_logger("astigd.jobs")
RENEWALS_PER_TTL = 3


async def heartbeat(runner: JobRunner, scope_id: str, control: JobControl) -> None:
    """Renew the lease every third of its lifetime until cancelled."""
    ttl_s = runner.settings.lease_ttl_s
    while True:
        await asyncio.sleep(ttl_s / RENEWALS_PER_TTL)
        try:
            renewed = await runner.db(leases.renew_lease, scope_id, runner.holder, ttl_s)
        except Exception:
            log.exception("lease renewal failed", scope_id=scope_id)
            continue  # the database may be back before the lease expires
        if not renewed:
            log.error("scope lease lost", scope_id=scope_id)
            control.lose_lease()
            return
