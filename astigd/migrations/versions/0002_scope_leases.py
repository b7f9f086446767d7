"""Scope leases: one row per scope driven by a job, renewed by its holder until it expires.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create scope_leases."""
    op.create_table(
        "scope_leases",
        sa.Column("scope_id", sa.String(64), sa.ForeignKey("scopes.id"), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop scope_leases."""
    op.drop_table("scope_leases")
