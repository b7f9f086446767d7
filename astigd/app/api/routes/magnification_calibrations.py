"""Gold calibrations (pixel size, anisotropy, ring-fit PNG) and the Cs/pixel-size check history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.api.routes.history import NOT_FOUND, known_scope
from astigd.app.api.routes.measurements import MagIndexQuery, SinceQuery, UntilQuery
from astigd.app.calibration_read.lookup import HistoryWindow
from astigd.app.calibration_read.magnification import (
    gold_fit,
    magnification_calibrations,
    pixel_size_checks,
)
from astigd.outputs.gold_fit import gold_fit_png

router = APIRouter(tags=["history"])
PNG_OPENAPI = {"responses": {200: {"content": {"image/png": {}}}, **NOT_FOUND}}
CHECK_UNITS = {"pixel_size": "Å (binning 1)", "cs": "mm", "pixel_size_error": "%",
               "defocus_bias_fraction": "fitted/true − 1", "defocus": "nm"}  # fmt: skip


@router.get("/scopes/{scope_id}/calibrations/magnification", responses=NOT_FOUND)
def magnification_history(
    scope_id: str,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    mag_index: MagIndexQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Return the newest anisotropic-magnification and pixel-size calibrations, newest first."""
    known_scope(scope_id, inventory, session)
    history = magnification_calibrations(session, scope_id, limit, mag_index)
    return {"scope_id": scope_id, **history}


@router.get(
    "/scopes/{scope_id}/calibrations/magnification/{calibration_id}/rings.png",
    openapi_extra=PNG_OPENAPI,
    response_class=Response,
)
def gold_ring_picture(
    scope_id: str,
    calibration_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
) -> Response:
    """Return the PNG of the ring radii against azimuth and the fitted ellipses."""
    known_scope(scope_id, inventory, session)
    result = gold_fit(session, scope_id, calibration_id)
    if result is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no gold-ring fit for anisotropy calibration {calibration_id} of scope {scope_id!r}",
        )
    return Response(gold_fit_png(result), media_type="image/png")


@router.get("/scopes/{scope_id}/calibrations/pixel-size-checks", responses=NOT_FOUND)
def pixel_size_check_history(
    scope_id: str,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    since: SinceQuery = None,
    until: UntilQuery = None,
    mag_index: MagIndexQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Return the Cs/pixel-size consistency checks (append-only rows), newest first."""
    known_scope(scope_id, inventory, session)
    if since is not None and until is not None and since > until:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"since ({since.isoformat()}) is after until ({until.isoformat()})",
        )
    items = pixel_size_checks(session, scope_id, HistoryWindow(limit, mag_index, since, until))
    return {"scope_id": scope_id, "units": CHECK_UNITS, "items": items}
