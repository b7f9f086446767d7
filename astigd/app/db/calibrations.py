"""Look up the current calibration: the newest row for a key at or before a time (§4)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.db.base import utc_now
from astigd.app.db.models.calibrations import (
    AnisoMagCalibration,
    OpticsKeyed,
    PixelSizeCalibration,
    ScopeStateKeyed,
)
from astigd.drivers.records import Illumination, OpticsKey

Row = TypeVar("Row", bound=ScopeStateKeyed)
# Gold calibrations are keyed by HT and magnification index only: see current_gold_calibration.
GOLD_MODELS = (PixelSizeCalibration, AnisoMagCalibration)


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
    """Return the newest row of `model` for the scope and optics key at or before `at` (now).

    Gold calibrations (pixel size, anisotropy) ignore the key's illumination.
    """
    if issubclass(model, GOLD_MODELS):
        return current_gold_calibration(session, model, scope_id, key.ht_kv, key.mag_index, at)
    query = select(model).where(
        model.scope_id == scope_id,
        model.ht_kv == round(key.ht_kv, 3),
        model.probe_mode_or_alpha == illumination_key(key.illumination),
        model.created_at <= (at or utc_now()),
    )
    if issubclass(model, OpticsKeyed):
        query = query.where(model.mag_index == key.mag_index)
    return session.scalar(query.order_by(model.created_at.desc(), model.id.desc()).limit(1))


def current_gold_calibration(
    session: Session,
    model: type[Row],
    scope_id: str,
    ht_kv: float,
    mag_index: int,
    at: datetime | None = None,
) -> Row | None:
    """Return the newest gold calibration for a scope, HT and magnification at or before `at`.

    Every fit path (procedures, uploads, live frames) looks gold calibrations up here.
    """
    # Projector lenses and camera fix pixel size and distortion per mag index and HT, not probe.
    query = select(model).where(
        model.scope_id == scope_id,
        model.ht_kv == round(ht_kv, 3),
        model.mag_index == mag_index,
        model.created_at <= (at or utc_now()),
    )
    return session.scalar(query.order_by(model.created_at.desc(), model.id.desc()).limit(1))
