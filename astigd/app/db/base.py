"""The declarative base: naming conventions, type map, `created_at`, and the append-only guard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from astigd.app.db.types import JsonValue, UtcDateTime

# Named constraints, so batch migrations on SQLite can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every astigd table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JsonValue, list[Any]: JsonValue}


class CreatedAt:
    """Adds `created_at`, set once when the row is written."""

    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True, sort_order=10)


class AppendOnly:
    """Marks a table whose rows are written once and never updated (DESIGN.md §4)."""


class AppendOnlyError(RuntimeError):
    """An attempt to update a row of an append-only table."""


@event.listens_for(Mapper, "before_update")
def _refuse_updates(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    """Refuse ORM updates of append-only rows: write a new row instead."""
    if isinstance(target, AppendOnly):
        raise AppendOnlyError(
            f"{mapper.class_.__name__} rows are append-only: write a new row instead"
        )
