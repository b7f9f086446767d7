"""GET /scopes: the scope inventory (live state comes with the scope endpoints later)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from astigd.app.api.deps import InventoryDep, ReadDep
from astigd.app.schemas.scopes import ScopeOut

router = APIRouter(tags=["scopes"])


@router.get("/scopes", response_model=list[ScopeOut])
def list_scopes(principal: ReadDep, inventory: InventoryDep) -> list[ScopeOut]:
    """Return every scope in the inventory: id, driver, address and optics defaults."""
    return [ScopeOut.from_entry(entry) for entry in inventory.scopes]


@router.get(
    "/scopes/{scope_id}", response_model=ScopeOut, responses={404: {"description": "Unknown scope"}}
)
def get_scope(scope_id: str, principal: ReadDep, inventory: InventoryDep) -> ScopeOut:
    """Return one scope from the inventory."""
    entry = inventory.get(scope_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    return ScopeOut.from_entry(entry)
