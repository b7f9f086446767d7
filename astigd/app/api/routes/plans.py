"""POST /plans/check: a collection plan checked against the paper's advice and calibrations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import AfterValidator, BaseModel, Field

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.calibration_read.lookup import OpticsWhere
from astigd.app.calibration_read.plan_check import PlanReport, check_coverage, general_advice
from astigd.app.core.inventory import SCOPE_ID_PATTERN, Inventory, ScopeEntry

router = APIRouter(tags=["plans"])
DefocusNm = Annotated[float, Field(ge=-20000, le=50000, allow_inf_nan=False)]


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    """Return the range low to high, whichever order it was given in."""
    return (min(pair), max(pair))


class PlanIn(BaseModel):
    """A plan: where, at which magnification, over which defocus range."""

    scope_id: str | None = Field(None, pattern=SCOPE_ID_PATTERN)
    magnification: float = Field(gt=0, le=1e8, description="Exposure magnification (×).")
    mag_index: int | None = Field(None, ge=0, description="Its index, if not in the inventory.")
    defocus_range_nm: Annotated[tuple[DefocusNm, DefocusNm], AfterValidator(_ordered)]
    focus_magnification: float | None = Field(None, gt=0, le=1e8)
    target_resolution_A: float = Field(3.0, gt=0.5, le=100)


def _mag_index(plan: PlanIn, scope: ScopeEntry) -> int | None:
    if plan.mag_index is not None:
        return plan.mag_index
    found = [m for m in scope.optics.magnifications if m.magnification == plan.magnification]
    return found[0].mag_index if found else None


def _coverage(report: PlanReport, plan: PlanIn, inventory: Inventory, session, max_age_h):
    scope = inventory.get(plan.scope_id or "")
    if scope is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {plan.scope_id!r}")
    index = _mag_index(plan, scope)
    if index is None:
        report.add("magnification_unknown", "warning",
                   f"{plan.magnification:g}× is not in scope {scope.id!r}'s inventory: give "
                   "mag_index to check its calibrations.")  # fmt: skip
        return
    where = OpticsWhere(scope.id, scope.optics.kv, index)
    span = plan.defocus_range_nm
    check_coverage(report, session, where, span, max_age_h, plan.target_resolution_A)


PLAN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    404: {"description": "Unknown scope"},
}


@router.post("/plans/check", responses=PLAN_ERRORS)
def check_plan(
    plan: PlanIn, request: Request, principal: ReadDep, session: SessionDep, inventory: InventoryDep
) -> dict[str, Any]:
    """Return recommendations and warnings for a plan, and the calibrations that cover it."""
    low_nm, high_nm = plan.defocus_range_nm
    report = general_advice(plan.magnification, low_nm, high_nm, plan.focus_magnification)
    if plan.scope_id is not None:
        max_age_h = request.app.state.settings.calibration.max_age_h
        _coverage(report, plan, inventory, session, max_age_h)
    return {"scope_id": plan.scope_id, **report.to_dict()}
