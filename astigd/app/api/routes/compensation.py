"""Dynamic compensation: the stigmators for a defocus (GET), and focus + stigmators (POST)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from astigd.app.api.deps import ControlDep, ReadDep, SessionFactoryDep
from astigd.app.calibration_read.compensation import (
    CalibrationRefusedError,
    compensation,
    current_calibrations,
)
from astigd.app.calibration_read.lookup import OpticsWhere
from astigd.app.core.logging import get_logger
from astigd.app.live.scope_access import (
    busy_reason,
    current_optics,
    scope_handle,
    snapshot_view,
)
from astigd.drivers.errors import LimitError, ScopeError
from astigd.drivers.records import OpticsSnapshot
from astigd.drivers.scope import Scope

router = APIRouter(tags=["compensation"])
log = get_logger("astigd.compensation")
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    404: {"description": "Unknown scope"},
    409: {"description": "Calibration missing, stale or at another magnification; or scope busy"},
    503: {"description": "Scope unreachable"},
}
DefocusNm = Annotated[float, Field(ge=-20000, le=50000, allow_inf_nan=False)]


class DefocusMove(BaseModel):
    """Set the defocus, and the stigmators compensated for it."""

    defocus_nm: DefocusNm
    compensate: bool = True


def _plan(sessions, scope_id: str, snapshot: OpticsSnapshot, defocus_nm: float, max_age_h):
    """Return the compensation for the snapshot's optics; 409 with the reason when refused."""
    where = OpticsWhere.of_key(scope_id, snapshot.optics_key)
    try:
        with sessions() as session:
            return compensation(current_calibrations(session, where, max_age_h), defocus_nm)
    except CalibrationRefusedError as refusal:
        detail = {"reason": refusal.reason, "code": refusal.code}
        raise HTTPException(status.HTTP_409_CONFLICT, detail) from None


@router.get("/scopes/{scope_id}/compensation", responses=REFUSALS)
async def get_compensation(
    scope_id: str,
    request: Request,
    principal: ReadDep,
    sessions: SessionFactoryDep,
    defocus_nm: Annotated[float, Query(ge=-20000, le=50000, allow_inf_nan=False)],
) -> dict[str, Any]:
    """Return the stigmators for a defocus from today's K and the response at current optics."""
    snapshot = await current_optics(scope_handle(request.app, scope_id))
    max_age_h = request.app.state.settings.calibration.max_age_h
    plan = await run_in_threadpool(_plan, sessions, scope_id, snapshot, defocus_nm, max_age_h)
    return {"scope_id": scope_id, "optics": snapshot_view(snapshot), **plan}


@router.post("/scopes/{scope_id}/defocus", responses=REFUSALS)
async def set_defocus(
    scope_id: str,
    body: DefocusMove,
    request: Request,
    principal: ControlDep,
    sessions: SessionFactoryDep,
) -> dict[str, Any]:
    """Set the defocus and (by default) the compensated stigmators in one audited step."""
    app, handle = request.app, scope_handle(request.app, scope_id)
    with sessions() as session:
        busy = busy_reason(app, handle, session)
    if busy is not None:  # checked with no await before taking the lock: no job slips in
        raise HTTPException(status.HTTP_409_CONFLICT, {"reason": busy, "code": "scope_busy"})
    async with handle.lock:
        before = await current_optics(handle)
        plan = None
        if body.compensate:
            max_age_h = app.state.settings.calibration.max_age_h
            args = (sessions, scope_id, before, body.defocus_nm, max_age_h)
            plan = await run_in_threadpool(_plan, *args)
        after = await _move(handle.get(), before, body.defocus_nm, plan)
    log.info("defocus set", scope_id=scope_id, by=principal.prefix, compensated=plan is not None,
             before=snapshot_view(before), after=snapshot_view(after))  # fmt: skip
    return {"scope_id": scope_id, "before": snapshot_view(before),
            "after": snapshot_view(after), "compensation": plan}  # fmt: skip


async def _move(scope: Scope, before: OpticsSnapshot, defocus_nm: float, plan) -> OpticsSnapshot:
    """Move focus, then stigmators; on failure put both back and answer 422 or 503."""
    try:
        await scope.set_defocus_nm(defocus_nm)
        if plan is not None:
            await scope.walk_stigmator(plan["stig_x"], plan["stig_y"])
        return await scope.snapshot()
    except ScopeError as error:
        restored = await _restore(scope, before)
        code = 422 if isinstance(error, LimitError) else status.HTTP_503_SERVICE_UNAVAILABLE
        detail = {"reason": f"scope: {error}", "code": "scope_error", "restored": restored}
        raise HTTPException(code, detail) from None


async def _restore(scope: Scope, before: OpticsSnapshot) -> bool:
    """Return the scope to the state before the move; say whether that worked."""
    try:
        await scope.restore(before)
    except ScopeError:
        log.error("restore after a failed defocus move failed", exc_info=True)
        return False
    return True
