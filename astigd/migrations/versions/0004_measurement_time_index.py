"""Index measurements by time, so the newest-first listing reads a page, not the whole table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ix_measurements_created_at_id."""
    op.create_index("ix_measurements_created_at_id", "measurements", ["created_at", "id"])


def downgrade() -> None:
    """Drop ix_measurements_created_at_id."""
    op.drop_index("ix_measurements_created_at_id", table_name="measurements")
