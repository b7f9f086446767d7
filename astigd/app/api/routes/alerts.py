"""GET /alerts: alert events raised by jobs (lens slope or axis off its history), newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.api.routes.measurements import SinceQuery
from astigd.app.core.inventory import SCOPE_ID_PATTERN
from astigd.app.db.models import Scope
from astigd.app.jobs.alerts import find_alerts

router = APIRouter(tags=["alerts"])


class AlertOut(BaseModel):
    """One alert: the job event that raised it, with the job's scope and procedure."""

    job_id: uuid.UUID
    seq: int
    scope_id: str
    procedure: str
    created_at: datetime
    payload: dict[str, Any]


@router.get(
    "/alerts", response_model=list[AlertOut], responses={404: {"description": "Unknown scope"}}
)
def list_alerts(
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    scope_id: Annotated[str | None, Query(pattern=SCOPE_ID_PATTERN)] = None,
    since: SinceQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AlertOut]:
    """Return `alert` job events, newest first, by scope and since a time."""
    if scope_id is not None and not (inventory.get(scope_id) or session.get(Scope, scope_id)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    return [AlertOut(**alert) for alert in find_alerts(session, scope_id, since, limit)]
