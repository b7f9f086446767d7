"""POST /plans/check: a collection plan checked against the paper's advice and calibrations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import AfterValidator, BaseModel, Field

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.api.routes.measurements import MAX_MAG_INDEX
from astigd.app.calibration_read.lookup import OpticsWhere
from astigd.app.calibration_read.plan_check import PlanReport, check_coverage, general_advice
from astigd.app.core.inventory import SCOPE_ID_PATTERN, Inventory, ScopeEntry

router = APIRouter(tags=["plans"])
UNPROCESSABLE = 422  # starlette renamed its constant; the number is the contract
DefocusNm = Annotated[float, Field(ge=-20000, le=50000, allow_inf_nan=False)]


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    """Return the range low to high, whichever order it was given in."""
    return (min(pair), max(pair))


class PlanIn(BaseModel):
    """A plan: where, at which magnification and illumination, over which defocus range."""

    scope_id: str | None = Field(
        None, pattern=SCOPE_ID_PATTERN, description="Needed when several scopes are configured."
    )
    magnification: float = Field(gt=0, le=1e8, description="Exposure magnification (×).")
    mag_index: int | None = Field(
        None, ge=0, le=MAX_MAG_INDEX, description="Its index, if not in the inventory."
    )
    defocus_range_nm: Annotated[tuple[DefocusNm, DefocusNm], AfterValidator(_ordered)]
    focus_magnification: float | None = Field(None, gt=0, le=1e8)
    target_resolution_A: float = Field(3.0, gt=0.5, le=100)
    probe_mode: Literal["microprobe", "nanoprobe"] | None = Field(
        None, description="Thermo and simulated scopes (ignored for JEOL)."
    )
    alpha: int | None = Field(None, ge=0, le=20, description="JEOL scopes (ignored otherwise).")

    def illumination(self, scope: ScopeEntry) -> str | None:
        """Return the scope's illumination as calibrations store it, or None if not given."""
        if scope.driver == "jeol":
            return None if self.alpha is None else f"alpha:{self.alpha}"
        return None if self.probe_mode is None else f"probe:{self.probe_mode}"


def _mag_index(plan: PlanIn, scope: ScopeEntry) -> int | None:
    if plan.mag_index is not None:
        return plan.mag_index
    found = [m for m in scope.optics.magnifications if m.magnification == plan.magnification]
    return found[0].mag_index if found else None


def _scope(plan: PlanIn, inventory: Inventory) -> ScopeEntry:
    """Return the plan's scope: the one named, or the only one configured."""
    if plan.scope_id is None:
        if len(inventory.scopes) == 1:
            return inventory.scopes[0]
        ids = ", ".join(scope.id for scope in inventory.scopes)
        raise HTTPException(
            UNPROCESSABLE,
            f"several scopes are configured ({ids}): give scope_id to check its calibrations",
        )
    scope = inventory.get(plan.scope_id)
    if scope is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {plan.scope_id!r}")
    return scope


def _coverage(report: PlanReport, plan: PlanIn, scope: ScopeEntry, session, max_age_h) -> None:
    index = _mag_index(plan, scope)
    if index is None:
        report.add("magnification_unknown", "warning",
                   f"{plan.magnification:g}× is not in scope {scope.id!r}'s inventory: give "
                   "mag_index to check its calibrations.")  # fmt: skip
        return
    where = OpticsWhere(scope.id, scope.optics.kv, index, plan.illumination(scope))
    span = plan.defocus_range_nm
    check_coverage(report, session, where, span, max_age_h, plan.target_resolution_A)


PLAN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not JSON"},
    404: {"description": "Unknown scope"},
    422: {"description": "Invalid plan, or no scope_id while several scopes are configured"},
}


@router.post("/plans/check", responses=PLAN_ERRORS)
def check_plan(
    plan: PlanIn, request: Request, principal: ReadDep, session: SessionDep, inventory: InventoryDep
) -> dict[str, Any]:
    """Return recommendations and warnings for a plan, and whether today's calibrations cover it.

    Coverage is always checked, on the scope named by `scope_id`; without it, on the only
    configured scope, and when several are configured the plan is refused (422) until it names
    one. The calibrations are looked up at the plan's magnification index, the scope's high
    tension, and its probe mode (Thermo) or alpha (JEOL) when given; without one, a warning says
    when calibrations exist for several.
    """
    scope = _scope(plan, inventory)
    low_nm, high_nm = plan.defocus_range_nm
    report = general_advice(plan.magnification, low_nm, high_nm, plan.focus_magnification)
    max_age_h = request.app.state.settings.calibration.max_age_h
    _coverage(report, plan, scope, session, max_age_h)
    return {"scope_id": scope.id, **report.to_dict()}
