"""Keep the scopes table in step with the inventory (rows are never deleted)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from astigd.app.core.inventory import Inventory
from astigd.app.db.base import utc_now
from astigd.app.db.models import Scope


def sync_scopes(session: Session, inventory: Inventory) -> None:
    """Insert the inventory's new scopes and refresh the driver, address and name of known ones."""
    now = utc_now()
    for entry in inventory.scopes:
        row = session.get(Scope, entry.id)
        if row is None:
            row = Scope(id=entry.id, registered_at=now)
            session.add(row)
        row.driver, row.address, row.name = entry.driver, entry.address, entry.name
        row.seen_at = now
    session.commit()
