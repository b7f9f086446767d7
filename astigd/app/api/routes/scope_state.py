"""GET /scopes/{id}/state: the scope's optics read now, its running job and its lease."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status

from astigd.app.api.deps import ReadDep
from astigd.app.api.routes.jobs import RunnerDep
from astigd.app.db.base import utc_now
from astigd.app.db.models import ScopeLease
from astigd.app.jobs.leases import read_lease
from astigd.app.schemas.jobs import LeaseOut, ScopeStateOut
from astigd.app.scopes.state import live_state
from astigd.drivers.errors import ScopeError

router = APIRouter(tags=["scopes"])


@router.get(
    "/scopes/{scope_id}/state",
    response_model=ScopeStateOut,
    responses={404: {"description": "Unknown scope"}, 503: {"description": "Scope unreachable"}},
)
async def get_scope_state(
    scope_id: str, request: Request, principal: ReadDep, runner: RunnerDep
) -> ScopeStateOut:
    """Read HT, magnification, illumination, defocus and stigmators now; name the busy job."""
    handle = request.app.state.scopes.get(scope_id)
    if handle is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    try:
        state = await live_state(handle.get())
    except ScopeError as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"scope: {error}") from None
    lease = await runner.db(read_lease, scope_id)
    lease_out = None if lease is None else lease_view(lease)
    busy = runner.running_job(scope_id) or (
        lease_out.job_id if lease_out and lease_out.alive else None
    )
    return ScopeStateOut(scope_id=scope_id, **state, busy_job_id=busy, lease=lease_out)


def lease_view(lease: ScopeLease) -> LeaseOut:
    """Return the lease row as served, with whether it is still alive."""
    alive = lease.expires_at > utc_now()
    return LeaseOut(holder=lease.holder, job_id=lease.job_id, acquired_at=lease.acquired_at,
                    expires_at=lease.expires_at, alive=alive)  # fmt: skip
