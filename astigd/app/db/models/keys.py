"""API keys, stored as a public prefix and a salted scrypt hash of the secret."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from astigd.app.db.base import Base, CreatedAt


class ApiKey(CreatedAt, Base):
    """A machine's or person's key: its scopes, and whether it was revoked."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    secret_hash: Mapped[str] = mapped_column(String(255))
    scopes: Mapped[list[Any]]
    revoked_at: Mapped[datetime | None]
