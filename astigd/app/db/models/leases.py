"""The scope lease: which process may drive a scope, until when (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from astigd.app.db.base import Base


class ScopeLease(Base):
    """One row per leased scope: the holding process and job; void once `expires_at` passed."""

    __tablename__ = "scope_leases"

    scope_id: Mapped[str] = mapped_column(ForeignKey("scopes.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
