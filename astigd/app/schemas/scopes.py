"""Scopes over HTTP: inventory entries (live state comes with the scope endpoints later)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from astigd.app.core.inventory import OpticsDefaults, ScopeEntry


class ScopeOut(BaseModel):
    """A scope from the inventory."""

    id: str
    driver: Literal["simulator", "thermo", "jeol"]
    address: str | None
    name: str | None
    optics: OpticsDefaults

    @classmethod
    def from_entry(cls, entry: ScopeEntry) -> ScopeOut:
        """Build from an inventory entry."""
        return cls.model_validate(entry.model_dump())
