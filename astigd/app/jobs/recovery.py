"""After a crash: jobs left `running` on a scope we now lease are interrupted and restored."""

from __future__ import annotations

from astigd.app.core.logging import get_logger
from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobState
from astigd.app.jobs.execute import Services, restore
from astigd.app.jobs.store import jobs_in_state
from astigd.app.scopes.audit import current_job_id
from astigd.app.scopes.registry import ScopeHandle
from astigd.app.scopes.snapshots import snapshot_from_json

INTERRUPTED_REASON = "the service stopped while the job ran"
log = get_logger("astigd.jobs")


async def recover_scope(handle: ScopeHandle, services: Services) -> int:
    """Interrupt and restore the scope's orphaned running jobs (we hold its lease); count them."""

    def orphans() -> list[Job]:
        with services.sessions() as session:
            return list(jobs_in_state(session, handle.scope_id, JobState.RUNNING))

    jobs = await services.threads.run(orphans)
    for job in jobs:
        await _recover(job, handle, services)
    return len(jobs)


async def _recover(job: Job, handle: ScopeHandle, services: Services) -> None:
    """Restore the job's start snapshot (if it has one) and mark it interrupted."""
    reason = INTERRUPTED_REASON
    if job.start_snapshot:
        snapshot = snapshot_from_json(job.start_snapshot)
        token = current_job_id.set(job.id)
        try:
            problem = await restore(services, job, handle, snapshot)
        finally:
            current_job_id.reset(token)
        reason = f"{reason}; {problem or 'restored to its start snapshot'}"
    details = {"error": reason}
    moved = await services.recorder.move_state(
        job.id, JobState.RUNNING, JobState.INTERRUPTED, details, finished_at=utc_now(), **details
    )
    if moved:
        log.warning("job interrupted", job_id=str(job.id), scope_id=handle.scope_id)
