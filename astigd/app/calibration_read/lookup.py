"""Find calibration rows: the newest for an optical state, and the newest per optics key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from astigd.app.db.base import utc_now
from astigd.app.db.calibrations import illumination_key
from astigd.app.db.models.calibrations import OpticsKeyed, ScopeStateKeyed
from astigd.drivers.records import OpticsKey

Row = TypeVar("Row", bound=ScopeStateKeyed)


@dataclass(frozen=True)
class OpticsWhere:
    """An optical state to look calibrations up for; None fields match any value."""

    scope_id: str
    ht_kv: float | None = None
    mag_index: int | None = None
    illumination: str | None = None  # as stored: "probe:nanoprobe", "alpha:3" or "none"

    @classmethod
    def of_key(cls, scope_id: str, key: OpticsKey) -> OpticsWhere:
        """Return the exact state of a live optics key."""
        return cls(scope_id, key.ht_kv, key.mag_index, illumination_key(key.illumination))

    def any_mag(self) -> OpticsWhere:
        """Return the same state at any magnification."""
        return OpticsWhere(self.scope_id, self.ht_kv, None, self.illumination)

    def describe(self) -> str:
        """Return the state in words, for refusals."""
        parts = [f"scope {self.scope_id!r}"]
        if self.ht_kv is not None:
            parts.append(f"{self.ht_kv:g} kV")
        if self.illumination is not None:
            parts.append(self.illumination)
        if self.mag_index is not None:
            parts.append(f"magnification index {self.mag_index}")
        return ", ".join(parts)


def _conditions(model: type[Row], where: OpticsWhere, at: datetime) -> list[Any]:
    conditions = [model.scope_id == where.scope_id, model.created_at <= at]
    if where.ht_kv is not None:
        conditions.append(model.ht_kv == round(where.ht_kv, 3))
    if where.illumination is not None:
        conditions.append(model.probe_mode_or_alpha == where.illumination)
    if where.mag_index is not None and issubclass(model, OpticsKeyed):
        conditions.append(model.mag_index == where.mag_index)
    return conditions


def newest(
    session: Session, model: type[Row], where: OpticsWhere, at: datetime | None = None
) -> Row | None:
    """Return the newest row of `model` matching the state at or before `at` (now)."""
    query = select(model).where(*_conditions(model, where, at or utc_now()))
    return session.scalar(query.order_by(model.created_at.desc(), model.id.desc()).limit(1))


def illuminations(session: Session, model: type[Row], where: OpticsWhere) -> list[str]:
    """Return the distinct probe modes or alphas the matching rows were taken in."""
    query = select(model.probe_mode_or_alpha).distinct()
    return list(session.scalars(query.where(*_conditions(model, where, utc_now()))))


def newest_per_key(session: Session, model: type[Row], scope_id: str) -> list[Row]:
    """Return the newest row for each optics key of a scope, newest first."""
    query = select(model).where(model.scope_id == scope_id, model.created_at <= utc_now())
    rows = session.scalars(query.order_by(model.created_at.desc(), model.id.desc()))
    seen: set[tuple[Any, ...]] = set()
    latest = []
    for row in rows:
        key = (row.ht_kv, getattr(row, "mag_index", None), row.probe_mode_or_alpha)
        if key not in seen:
            seen.add(key)
            latest.append(row)
    return latest


@dataclass(frozen=True)
class HistoryWindow:
    """Which rows of a scope's calibration history to list: newest first, at most `limit`."""

    limit: int
    mag_index: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def history_rows(
    session: Session, model: type[Row], scope_id: str, window: HistoryWindow
) -> list[Row]:
    """Return a scope's rows of `model` in the window (magnification and time), newest first."""
    query = select(model).where(model.scope_id == scope_id)
    if window.mag_index is not None:
        query = query.where(model.mag_index == window.mag_index)
    if window.since is not None:
        query = query.where(model.created_at >= window.since)
    if window.until is not None:
        query = query.where(model.created_at <= window.until)
    query = query.order_by(model.created_at.desc(), model.id.desc()).limit(window.limit)
    return list(session.scalars(query))


def age_h(row: ScopeStateKeyed, now: datetime | None = None) -> float:
    """Return how old a calibration row is, in hours."""
    return ((now or utc_now()) - row.created_at).total_seconds() / 3600.0


def calibration_info(kind: str, row: ScopeStateKeyed, now: datetime | None = None) -> dict:
    """Return which calibration was used: kind, id, time, age and optics key."""
    return {
        "kind": kind,
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "age_h": round(age_h(row, now), 4),
        "ht_kv": row.ht_kv,
        "mag_index": getattr(row, "mag_index", None),
        "probe_mode_or_alpha": row.probe_mode_or_alpha,
        "job_id": str(row.job_id) if row.job_id else None,
    }
