"""Calibration history for dashboards: daily lens slope (JSON or CSV), responses, mag profiles."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from astigd.app.api.conditional import (
    entity_tag,
    not_modified,
    not_modified_response,
    validators,
)
from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep, SettingsDep
from astigd.app.api.routes.measurements import MagIndexQuery, SinceQuery, UntilQuery
from astigd.app.calibration_read.btid import btid_history
from astigd.app.calibration_read.history import (
    LENS_DAY_FIELDS,
    latest_stigmator_calibrations,
    lens_days,
    magnification_profiles,
)
from astigd.app.core.inventory import Inventory
from astigd.app.db.models import Scope

router = APIRouter(tags=["history"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown scope"}}
CSV_MEDIA = "text/csv"
LENS_HISTORY_OPENAPI = {
    "responses": {
        200: {"content": {CSV_MEDIA: {"schema": {"type": "string"}}}},
        304: {"description": "Not modified (If-None-Match / If-Modified-Since)"},
        **NOT_FOUND,
    }
}


def known_scope(scope_id: str, inventory: Inventory, session: Session) -> None:
    """Raise 404 unless the scope is in the inventory or was ever registered."""
    if inventory.get(scope_id) is None and session.get(Scope, scope_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")


def wants_csv(request: Request) -> bool:
    """Return whether the client asked for CSV (Accept: text/csv)."""
    return CSV_MEDIA in request.headers.get("accept", "").lower()


def as_csv(rows: list[dict[str, Any]]) -> str:
    """Return the lens days as CSV with a header line."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=LENS_DAY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue()


@router.get("/scopes/{scope_id}/lens-history", openapi_extra=LENS_HISTORY_OPENAPI)
def lens_history(
    scope_id: str,
    request: Request,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    since: SinceQuery = None,
    until: UntilQuery = None,
    mag_index: MagIndexQuery = None,
) -> Response:
    """Return daily k_obj (nm/µm), lens axis angle (deg) and their standard errors."""
    known_scope(scope_id, inventory, session)
    days = lens_days(session, scope_id, since, until, mag_index)
    media = CSV_MEDIA if wants_csv(request) else "application/json"
    etag = entity_tag(days, media)
    modified = max((datetime.fromisoformat(d["created_at"]) for d in days), default=None)
    if not_modified(request, etag, modified):
        return not_modified_response(etag, modified)
    headers = validators(etag, modified)
    if media == CSV_MEDIA:
        return Response(as_csv(days), media_type=CSV_MEDIA, headers=headers)
    body = {"scope_id": scope_id, "units": {"k_obj": "nm/µm", "angle": "deg"}, "days": days}
    return JSONResponse(body, headers=headers)


@router.get("/scopes/{scope_id}/calibrations/stigmator", responses=NOT_FOUND)
def stigmator_calibrations(
    scope_id: str,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Return the newest stigmator response per optics key; older than max_age_h is stale."""
    known_scope(scope_id, inventory, session)
    items = latest_stigmator_calibrations(session, scope_id)
    return {"scope_id": scope_id, "max_age_h": settings.calibration.max_age_h, "items": items}


@router.get("/scopes/{scope_id}/magnification-profiles", responses=NOT_FOUND)
def list_magnification_profiles(
    scope_id: str,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Return the newest magnification profiles (astigmatism per magnification), with points."""
    known_scope(scope_id, inventory, session)
    return {"scope_id": scope_id, "items": magnification_profiles(session, scope_id, limit)}


@router.get("/scopes/{scope_id}/calibrations/btid", responses=NOT_FOUND)
def btid_calibrations(
    scope_id: str,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    mag_index: MagIndexQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> dict[str, Any]:
    """Return the BTID calibration history (append-only rows), newest first."""
    known_scope(scope_id, inventory, session)
    items = btid_history(session, scope_id, limit, mag_index)
    units = {"g": "px/mrad (binning 1)", "focus_response": "px/mrad per nm",
             "stigmator_shift_responses": "px/mrad per unit", "astig": "nm"}  # fmt: skip
    return {"scope_id": scope_id, "units": units, "items": items}
