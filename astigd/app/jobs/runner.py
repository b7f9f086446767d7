"""The job runner: accepts jobs, runs them one at a time per scope, cancels them.

Each scope has a worker task. When the scope has work it takes the scope's lease in the
database (waiting while another live process holds it), interrupts and restores jobs a crashed
holder left running, then runs queued jobs oldest first, holding the scope's asyncio lock and
renewing the lease; when the queue is empty it releases the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from astigd.app.core.config import JobsSettings
from astigd.app.core.logging import get_logger
from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobState, ScopeLease
from astigd.app.jobs import leases
from astigd.app.jobs.control import JobControl
from astigd.app.jobs.execute import Services, execute
from astigd.app.jobs.heartbeat import heartbeat
from astigd.app.jobs.recovery import recover_scope
from astigd.app.jobs.store import has_pending, next_queued
from astigd.app.scopes.audit import current_job_id
from astigd.app.scopes.registry import ScopeHandle

T = TypeVar("T")
STOP_RETRY_S = 30.0  # a restore in progress gets this long before being cancelled again
log = get_logger("astigd.jobs")


class ScopeBusyError(RuntimeError):
    """The scope has a job running or queued, and the client would not wait."""


class JobRunner:
    """Queue, run and cancel jobs; one control job per scope at a time."""

    def __init__(
        self, handles: dict[str, ScopeHandle], services: Services, settings: JobsSettings
    ) -> None:
        """Drive these scopes; `holder` names this process in lease rows."""
        self.handles, self.services, self.settings = handles, services, settings
        self.holder = f"astigd-{uuid.uuid4().hex[:16]}"
        self._wakes = {scope_id: asyncio.Event() for scope_id in handles}
        self._controls: dict[uuid.UUID, JobControl] = {}
        self._running: dict[str, uuid.UUID] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._submit_lock = asyncio.Lock()
        self._stopping = False

    @property
    def poll_s(self) -> float:
        """Return how often an idle worker looks for work another process queued."""
        return min(self.settings.lease_ttl_s / 4, 5.0)

    def start(self) -> None:
        """Start one worker per scope (they recover crashed jobs first)."""
        for scope_id in self.handles:
            self._workers.append(asyncio.create_task(self._work(scope_id), name=f"jobs-{scope_id}"))

    async def stop(self) -> None:
        """Stop the workers; a running job is restored and marked interrupted."""
        self._stopping = True
        for control in self._controls.values():
            control.stop_service()
        pending = set(self._workers)
        while pending:  # cancel again if some await swallowed the cancellation
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=STOP_RETRY_S)
        self._workers.clear()

    def running_job(self, scope_id: str) -> uuid.UUID | None:
        """Return the job this process is running on the scope, if any."""
        return self._running.get(scope_id)

    async def submit(
        self,
        scope_id: str,
        procedure: str,
        params: dict[str, Any],
        by: str | None,
        wait: bool,
        created_at: datetime | None = None,
    ) -> Job:
        """Queue a job (validated by the caller); ScopeBusyError if busy and not `wait`."""
        async with self._submit_lock:
            if not wait and await self._busy(scope_id):
                raise ScopeBusyError(f"scope {scope_id!r} is busy with another job")
            recorder = self.services.recorder
            job = await recorder.create_job(scope_id, procedure, params, by, created_at)
        self._wakes[scope_id].set()
        return job

    async def _busy(self, scope_id: str) -> bool:
        """Return whether the scope has a job, here or in the database, or a live lease.

        A job whose final state is stored no longer counts while it lets go of the lock: a
        client that saw it end may submit the next one at once.
        """
        if await self.db(has_pending, scope_id):
            return True
        if self.handles[scope_id].lock.locked() and scope_id not in self._running:
            return True  # moved directly (e.g. a compensated defocus change)
        lease = await self.db(leases.read_lease, scope_id)
        return lease is not None and lease.holder != self.holder and not _expired(lease)

    async def cancel(self, job_id: uuid.UUID) -> None:
        """Cancel a queued job now, or ask a running one to stop at its next checkpoint."""
        details = {"error": "cancelled before it started"}
        cancelled = await self.services.recorder.move_state(
            job_id, JobState.QUEUED, JobState.CANCELLED, details, finished_at=utc_now(), **details
        )
        if cancelled:
            return
        if (control := self._controls.get(job_id)) is not None:
            control.request_cancel()

    async def _work(self, scope_id: str) -> None:
        """Serve the scope's queue until stopped."""
        wake = self._wakes[scope_id]
        while not self._stopping:
            wake.clear()
            try:
                await self._drain(scope_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job worker error", scope_id=scope_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.poll_s)

    async def _drain(self, scope_id: str) -> None:
        """Take the lease if there is work, recover, run every queued job, release the lease."""
        if not await self.db(has_pending, scope_id):
            return
        ttl_s = self.settings.lease_ttl_s
        if not await self.db(leases.take_lease, scope_id, self.holder, ttl_s):
            return  # another live process holds the scope: look again at the next poll
        try:
            await recover_scope(self.handles[scope_id], self.services)
            while not self._stopping and (job := await self.db(next_queued, scope_id)):
                await self._run(job)
        finally:
            await self.db(leases.release_lease, scope_id, self.holder)

    async def _run(self, job: Job) -> None:
        """Run one job under the scope's lock, with the lease renewed and audit tagged."""
        handle, control = self.handles[job.scope_id], JobControl()
        self._controls[job.id] = control
        token = current_job_id.set(job.id)
        async with handle.lock:
            self._running[job.scope_id] = job.id
            await self.db(leases.set_lease_job, job.scope_id, self.holder, job.id)
            beat = asyncio.create_task(heartbeat(self, job.scope_id, control))
            try:
                await execute(job, handle, control, self.services)
            finally:
                beat.cancel()
                self._running.pop(job.scope_id, None)
                self._controls.pop(job.id, None)
                current_job_id.reset(token)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store function with a fresh session in a worker thread."""

        def call() -> T:
            with self.services.sessions() as session:
                return fn(session, *args, **kwargs)

        return await self.services.threads.run(call)


def _expired(lease: ScopeLease) -> bool:
    """Return whether a lease row has expired."""
    return lease.expires_at <= utc_now()
