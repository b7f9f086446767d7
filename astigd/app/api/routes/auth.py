"""GET /auth/me: who the presented key is, so a client can offer only what the key may do."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from astigd.app.api.deps import ReadDep
from astigd.app.core.security import KEY_SCOPES, KeyScope, grants

router = APIRouter(tags=["auth"])


class KeyOut(BaseModel):
    """The calling key: its name and prefix (None when anonymous), scopes held and granted."""

    name: str | None
    prefix: str | None
    scopes: list[str]
    grants: list[KeyScope]


@router.get("/auth/me", response_model=KeyOut)
def who_am_i(principal: ReadDep) -> KeyOut:
    """Return the calling key's name, prefix, scopes and the scopes they grant (admin ⊃ control)."""
    granted = [scope for scope in KEY_SCOPES if grants(principal.scopes, scope)]
    return KeyOut(
        name=principal.name, prefix=principal.prefix, scopes=list(principal.scopes), grants=granted
    )
