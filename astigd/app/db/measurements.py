"""Store every fit as a measurement, and find measurements again."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from astigd.app.db.models import Measurement
from astigd.app.db.models.measurements import FIT_FLOAT_FIELDS
from astigd.outputs.records import json_safe
from astigd.workers.results import CtfFit


def store_fit(
    session: Session,
    fit: CtfFit,
    source: str,
    scope_id: str | None = None,
    job_id: uuid.UUID | None = None,
    optics: dict[str, Any] | None = None,
) -> Measurement:
    """Write one fit as a measurement row and return it (non-finite numbers become NULL)."""
    numbers = {name: _finite(getattr(fit, name)) for name in FIT_FLOAT_FIELDS}
    row = Measurement(
        scope_id=scope_id,
        job_id=job_id,
        source=source,
        **numbers,
        reliable=bool(fit.reliable),
        reason=fit.reason,
        estimator=fit.estimator,
        version=fit.version,
        parameters=json_safe(fit.parameters),
        optics=json_safe(optics) if optics else None,
    )
    session.add(row)
    session.commit()
    return row


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class MeasurementFilter:
    """Which measurements to return, newest first."""

    scope_id: str | None = None
    job_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    reliable: bool | None = None
    limit: int = 100
    offset: int = 0

    def apply(self, query: Select) -> Select:
        """Return the query restricted by these filters."""
        conditions = []
        if self.scope_id is not None:
            conditions.append(Measurement.scope_id == self.scope_id)
        if self.job_id is not None:
            conditions.append(Measurement.job_id == self.job_id)
        if self.since is not None:
            conditions.append(Measurement.created_at >= self.since)
        if self.until is not None:
            conditions.append(Measurement.created_at <= self.until)
        if self.reliable is not None:
            conditions.append(Measurement.reliable == self.reliable)
        return query.where(*conditions)


def find_measurements(
    session: Session, where: MeasurementFilter
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of matching measurements as plain rows, newest first, and the total.

    Plain rows, not ORM objects: a page is read often and never changed.
    """
    total = session.scalar(where.apply(select(func.count(Measurement.id)))) or 0
    page = where.apply(select(Measurement.__table__))
    page = page.order_by(Measurement.created_at.desc(), Measurement.id.desc())
    rows = session.execute(page.limit(where.limit).offset(where.offset)).mappings()
    return [dict(row) for row in rows], total
