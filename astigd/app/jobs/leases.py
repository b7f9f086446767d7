"""Scope leases in the database: take (or take over an expired one), renew, release, read.

A lease is one row per scope. Taking it is a single conditional UPDATE (free, expired, or ours)
or, when no row exists, an INSERT that the primary key makes exclusive; so two processes can
never both hold a scope, on SQLite or PostgreSQL. The holder renews it while its job runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from astigd.app.db.base import utc_now
from astigd.app.db.models import ScopeLease


def take_lease(
    session: Session,
    scope_id: str,
    holder: str,
    ttl_s: float,
    job_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> bool:
    """Take the scope's lease for `ttl_s` unless another holder's lease is still alive."""
    now = now or utc_now()
    values = {"holder": holder, "job_id": job_id, "expires_at": now + timedelta(seconds=ttl_s)}
    taken = session.execute(
        update(ScopeLease)
        .where(ScopeLease.scope_id == scope_id)
        .where(or_(ScopeLease.holder == holder, ScopeLease.expires_at <= now))
        .values(acquired_at=now, **values)
    )
    if taken.rowcount == 1:
        session.commit()
        return True
    session.rollback()
    return _insert(session, ScopeLease(scope_id=scope_id, acquired_at=now, **values))


def _insert(session: Session, lease: ScopeLease) -> bool:
    """Insert a new lease row; False when a row exists already (someone holds it)."""
    session.add(lease)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def renew_lease(session: Session, scope_id: str, holder: str, ttl_s: float) -> bool:
    """Push our lease's expiry `ttl_s` ahead; False when we no longer hold it."""
    expires_at = utc_now() + timedelta(seconds=ttl_s)
    renewed = session.execute(
        update(ScopeLease)
        .where(ScopeLease.scope_id == scope_id, ScopeLease.holder == holder)
        .values(expires_at=expires_at)
    )
    session.commit()
    return renewed.rowcount == 1


def set_lease_job(session: Session, scope_id: str, holder: str, job_id: uuid.UUID | None) -> None:
    """Record which job our lease is for (None between jobs)."""
    session.execute(
        update(ScopeLease)
        .where(ScopeLease.scope_id == scope_id, ScopeLease.holder == holder)
        .values(job_id=job_id)
    )
    session.commit()


def release_lease(session: Session, scope_id: str, holder: str) -> None:
    """Give up our lease on the scope (someone else's is left alone)."""
    session.execute(
        delete(ScopeLease).where(ScopeLease.scope_id == scope_id, ScopeLease.holder == holder)
    )
    session.commit()


def read_lease(session: Session, scope_id: str) -> ScopeLease | None:
    """Return the scope's lease row, alive or expired, or None."""
    return session.get(ScopeLease, scope_id)
