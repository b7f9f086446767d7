"""Scopes known to the service, and the audit log of every optics change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from astigd.app.db.base import AppendOnly, Base, CreatedAt, utc_now
from astigd.app.db.types import BigId, JsonValue


class Scope(Base):
    """A microscope from the inventory; rows outlive inventory changes so history keeps its keys."""

    __tablename__ = "scopes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    driver: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    registered_at: Mapped[datetime] = mapped_column(default=utc_now)
    seen_at: Mapped[datetime] = mapped_column(default=utc_now)


class OpticsAudit(AppendOnly, CreatedAt, Base):
    """One optics change: what moved, from what, to what (read back), by which job."""

    __tablename__ = "optics_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope_id: Mapped[str] = mapped_column(ForeignKey("scopes.id"), index=True)
    what: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JsonValue)
    after: Mapped[Any | None] = mapped_column(JsonValue)
    requested: Mapped[Any | None] = mapped_column(JsonValue)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utc_now)
