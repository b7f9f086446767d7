"""GET /scopes/{id}/lens-sweeps/latest: the newest defocus sweep with its points and steps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.api.routes.history import NOT_FOUND, known_scope
from astigd.app.api.routes.measurements import MagIndexQuery
from astigd.app.calibration_read.sweeps import latest_lens_sweep

router = APIRouter(tags=["history"])


@router.get("/scopes/{scope_id}/lens-sweeps/latest", responses=NOT_FOUND)
def get_latest_lens_sweep(
    scope_id: str,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
    mag_index: MagIndexQuery = None,
) -> dict[str, Any]:
    """Return the newest lens sweep: K, every frame's vector and each step's mean and RMSD.

    `sweep` is null when the scope has no sweep yet (at that magnification index, if given).
    """
    known_scope(scope_id, inventory, session)
    return {"scope_id": scope_id, "sweep": latest_lens_sweep(session, scope_id, mag_index)}
