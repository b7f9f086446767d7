"""Look up the current calibration: the newest row for a key at or before a time (§4)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.db.base import utc_now
from astigd.app.db.models.calibrations import OpticsKeyed, ScopeStateKeyed
from astigd.drivers.records import Illumination, OpticsKey

Row = TypeVar("Row", bound=ScopeStateKeyed)


def illumination_key(illumination: Illumination) -> str:
    """Return the text calibrations store for a probe mode (Thermo) or an alpha (JEOL)."""
    if illumination.probe_mode is not None:
        return f"probe:{illumination.probe_mode.lower()}"
    if illumination.alpha is not None:
        return f"alpha:{illumination.alpha}"
    return "none"


def current_calibration(
    session: Session, model: type[Row], scope_id: str, key: OpticsKey, at: datetime | None = None
) -> Row | None:
    """Return the newest row of `model` for the scope and optics key at or before `at` (now)."""
    query = select(model).where(
        model.scope_id == scope_id,
        model.ht_kv == round(key.ht_kv, 3),
        model.probe_mode_or_alpha == illumination_key(key.illumination),
        model.created_at <= (at or utc_now()),
    )
    if issubclass(model, OpticsKeyed):
        query = query.where(model.mag_index == key.mag_index)
    return session.scalar(query.order_by(model.created_at.desc(), model.id.desc()).limit(1))


def newest_at_mag(
    session: Session, model: type[Row], scope_id: str, ht_kv: float, mag_index: int
) -> Row | None:
    """Return the newest row of `model` for a scope, HT and magnification, any illumination.

    For frames that carry no probe mode or alpha (uploads, live frames): a magnification's
    pixel size and distortion belong to the projector system, not to the illumination.
    """
    query = select(model).where(
        model.scope_id == scope_id,
        model.ht_kv == round(ht_kv, 3),
        model.mag_index == mag_index,
        model.created_at <= utc_now(),
    )
    return session.scalar(query.order_by(model.created_at.desc(), model.id.desc()).limit(1))
