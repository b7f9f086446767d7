"""GET /measurements: stored fits, newest first, filtered by scope, job, time and verdict."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BeforeValidator

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.api.responses import model_json
from astigd.app.core.inventory import SCOPE_ID_PATTERN
from astigd.app.db.measurements import MeasurementFilter, find_measurements
from astigd.app.db.models import Scope
from astigd.app.schemas.fits import MeasurementOut, MeasurementPage

router = APIRouter(tags=["measurements"])


def _iso_utc(value: object) -> object:
    """Read ISO 8601 text as a UTC time (no zone means UTC); refuse numbers and other text."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError("expected an ISO 8601 time, e.g. 2026-05-04T12:00:00Z") from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        # A valid time whose UTC instant falls before year 1 or after 9999: clamp, as a filter.
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)


IsoTime = Annotated[datetime, BeforeValidator(_iso_utc)]
MAX_MAG_INDEX = 10_000  # beyond any scope's table, and within a database integer
MagIndexQuery = Annotated[int | None, Query(ge=0, le=MAX_MAG_INDEX)]
SinceQuery = Annotated[
    IsoTime | None, Query(description="From this ISO 8601 time (UTC if no zone)")
]
UntilQuery = Annotated[
    IsoTime | None, Query(description="Up to this ISO 8601 time (UTC if no zone)")
]


@router.get(
    "/measurements",
    response_model=MeasurementPage,
    responses={404: {"description": "Unknown scope"}},
)
def list_measurements(
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    scope_id: Annotated[str | None, Query(pattern=SCOPE_ID_PATTERN)] = None,
    job_id: uuid.UUID | None = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    reliable: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Return stored measurements, newest first."""
    known = scope_id is None or inventory.get(scope_id) or session.get(Scope, scope_id)
    if not known:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    where = MeasurementFilter(scope_id, job_id, since, until, reliable, limit, offset)
    rows, total = find_measurements(session, where)
    items = [MeasurementOut.model_validate(row) for row in rows]
    return model_json(MeasurementPage(items=items, total=total, limit=limit, offset=offset))
