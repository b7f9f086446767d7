"""The CalibrationStore on the database: append-only rows, newest-at-or-before lookups, fallback.

Sessions are synchronous; every call runs in a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from astigd.app.db.base import utc_now
from astigd.app.db.calibrations import current_calibration, illumination_key
from astigd.app.db.models.calibrations import OpticsKeyed
from astigd.app.procedures.calibration_rows import CalibrationKind, kind_named
from astigd.drivers.records import OpticsKey, OpticsSnapshot
from astigd.outputs.records import json_safe


class DbCalibrationStore:
    """Append-only calibrations of one scope in the database (see context.CalibrationStore)."""

    def __init__(
        self, sessions: sessionmaker[Session], scope_id: str, job_id: uuid.UUID | None = None
    ) -> None:
        """Write and read the scope's rows; new rows name the job that made them, if any."""
        self._sessions, self.scope_id, self.job_id = sessions, scope_id, job_id

    async def save(self, kind: str, snapshot: OpticsSnapshot, record: dict[str, Any]) -> int:
        """Append a row of `kind` keyed by the snapshot's optics; return its id."""
        return await asyncio.to_thread(self._save, kind_named(kind), snapshot, json_safe(record))

    async def current(
        self, kind: str, snapshot: OpticsSnapshot, same_mag_only: bool = False
    ) -> dict[str, Any] | None:
        """Return the newest row for the optics, else the nearest magnification's (fallback)."""
        return await asyncio.to_thread(self._current, kind_named(kind), snapshot, same_mag_only)

    async def history(
        self, kind: str, limit: int = 30, snapshot: OpticsSnapshot | None = None
    ) -> list[dict[str, Any]]:
        """Return the newest rows of `kind` for this scope (and the snapshot's optics if given)."""
        return await asyncio.to_thread(self._history, kind_named(kind), limit, snapshot)

    def _save(self, kind: CalibrationKind, snapshot: OpticsSnapshot, record: dict) -> int:
        with self._sessions() as session:
            key = self._key_columns(kind, snapshot.optics_key)
            row = kind.model(**key, job_id=self.job_id, **kind.columns(record))
            session.add(row)
            session.flush()
            for point in record.get("points", []) if kind.point_model else []:
                values = {name: point.get(name) for name in kind.point_columns}
                session.add(kind.point_model(**{kind.parent_column: row.id}, **values))
            session.commit()
            return row.id

    def _current(self, kind: CalibrationKind, snapshot: OpticsSnapshot, same_mag_only: bool):
        key = snapshot.optics_key
        with self._sessions() as session:
            row = current_calibration(session, kind.model, self.scope_id, key)
            fallback = row is None and not same_mag_only and _by_mag(kind)
            if fallback:
                row = self._nearest_mag(session, kind, key)
            return None if row is None else self._as_dict(session, kind, row, fallback)

    def _nearest_mag(self, session: Session, kind: CalibrationKind, key: OpticsKey):
        """Return the current row at the calibrated magnification index nearest the key's."""
        model = kind.model
        query = select(model.mag_index).distinct().where(*self._same_state(model, key))
        indices = session.scalars(query).all()
        if not indices:
            return None
        nearest = min(indices, key=lambda index: (abs(index - key.mag_index), -index))
        return current_calibration(session, model, self.scope_id, replace(key, mag_index=nearest))

    def _history(self, kind: CalibrationKind, limit: int, snapshot: OpticsSnapshot | None):
        model = kind.model
        query = select(model).where(model.scope_id == self.scope_id)
        if snapshot is not None:
            key = snapshot.optics_key
            query = query.where(*self._same_state(model, key))
            if _by_mag(kind):
                query = query.where(model.mag_index == key.mag_index)
        query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit)
        with self._sessions() as session:
            return [self._as_dict(session, kind, row, False) for row in session.scalars(query)]

    def _same_state(self, model, key: OpticsKey) -> list:
        """Return the conditions for this scope, HT and probe mode or alpha, up to now."""
        return [
            model.scope_id == self.scope_id,
            model.ht_kv == round(key.ht_kv, 3),
            model.probe_mode_or_alpha == illumination_key(key.illumination),
            model.created_at <= utc_now(),
        ]

    def _key_columns(self, kind: CalibrationKind, key: OpticsKey) -> dict[str, Any]:
        columns = {
            "scope_id": self.scope_id,
            "ht_kv": round(key.ht_kv, 3),
            "probe_mode_or_alpha": illumination_key(key.illumination),
        }
        if _by_mag(kind):
            columns["mag_index"] = key.mag_index
        return columns

    def _as_dict(self, session: Session, kind: CalibrationKind, row, fallback: bool) -> dict:
        record = {
            **kind.record(row),
            "id": row.id,
            "created_at": row.created_at.isoformat(),
            "mag_index": getattr(row, "mag_index", None),
            "fallback": bool(fallback),
            "ht_kv": row.ht_kv,
            "probe_mode_or_alpha": row.probe_mode_or_alpha,
            "job_id": str(row.job_id) if row.job_id else None,
        }
        if kind.point_model is not None:
            record["points"] = _points(session, kind, row.id)
        return record


def _by_mag(kind: CalibrationKind) -> bool:
    """Return whether a kind is keyed by magnification too."""
    return issubclass(kind.model, OpticsKeyed)


def _points(session: Session, kind: CalibrationKind, parent_id: int) -> list[dict[str, Any]]:
    """Return a row's points in the order they were written."""
    model = kind.point_model
    parent = getattr(model, kind.parent_column)
    rows = session.scalars(select(model).where(parent == parent_id).order_by(model.id))
    return [{name: getattr(point, name) for name in kind.point_columns} for point in rows]
