"""The live scopes (app.state.scopes) as the calibration endpoints need them: optics and busy."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobState
from astigd.app.jobs.leases import read_lease
from astigd.app.scopes.registry import ScopeHandle
from astigd.drivers.errors import ScopeError
from astigd.drivers.records import OpticsSnapshot


def scope_handle(app: FastAPI, scope_id: str) -> ScopeHandle:
    """Return the live handle of a scope; 404 when unknown, 503 before the registry exists."""
    handles: dict[str, ScopeHandle] | None = getattr(app.state, "scopes", None)
    if handles is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the scopes are not connected")
    handle = handles.get(scope_id)
    if handle is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    return handle


async def current_optics(handle: ScopeHandle) -> OpticsSnapshot:
    """Read the scope's optical state now; 503 when the scope does not answer."""
    try:
        return await handle.get().snapshot()
    except ScopeError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"scope: {error}") from None


def busy_reason(app: FastAPI, handle: ScopeHandle, session: Session) -> str | None:
    """Return why the scope may not be moved now (a job here or elsewhere holds it), or None."""
    runner: Any = getattr(app.state, "jobs", None)
    job_id = runner.running_job(handle.scope_id) if runner is not None else None
    if job_id is not None and _settled(session, job_id):
        pass  # its final state is stored: it is only letting go of the scope, so wait for it
    elif job_id is not None or handle.lock.locked():
        return f"scope {handle.scope_id!r} is held by job {job_id or '(starting)'}"
    lease = read_lease(session, handle.scope_id)
    ours = runner is not None and lease is not None and lease.holder == runner.holder
    if lease is not None and not ours and lease.expires_at > utc_now():
        return f"scope {handle.scope_id!r} is leased by {lease.holder} (job {lease.job_id})"
    return None


def _settled(session: Session, job_id: uuid.UUID) -> bool:
    """Return whether the job's final state is already stored."""
    state = session.scalar(select(Job.state).where(Job.id == job_id))
    return state not in (None, JobState.QUEUED, JobState.RUNNING)


def snapshot_view(snapshot: OpticsSnapshot) -> dict[str, Any]:
    """Return the optics that key calibrations, and the stigmators and defocus, as JSON."""
    light = snapshot.illumination
    return {
        "ht_kv": snapshot.ht_kv,
        "mag_index": snapshot.mag.index,
        "magnification": snapshot.mag.magnification,
        "probe_mode": light.probe_mode,
        "alpha": light.alpha,
        "defocus_nm": snapshot.defocus_nm,
        "stig_x": snapshot.stig_x,
        "stig_y": snapshot.stig_y,
    }
