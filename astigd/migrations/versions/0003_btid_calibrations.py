"""BTID calibrations: beam-tilt-induced displacement responses, keyed by the optical state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "btid_calibrations"
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True)
OPTICS_KEY = ["scope_id", "ht_kv", "mag_index", "probe_mode_or_alpha", "created_at"]
NUMBERS = (
    "tilt_mrad", "reference_defocus_nm", "reference_astig_x_nm", "reference_astig_y_nm",
    "reference_stig_x", "reference_stig_y", "focus_step_nm", "stig_step",
)  # fmt: skip
MATRICES = ("g_reference", "focus_response", "stigmator_shift_responses",
            "astig_response_nm_per_unit")  # fmt: skip


def upgrade() -> None:
    """Create btid_calibrations and its indexes."""
    op.create_table(
        TABLE,
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("scope_id", sa.String(64), sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("ht_kv", sa.Float(), nullable=False),
        sa.Column("mag_index", sa.Integer(), nullable=False),
        sa.Column("probe_mode_or_alpha", sa.String(32), nullable=False),
        sa.Column("n_directions", sa.Integer(), nullable=False),
        sa.Column("reference_method", sa.String(32), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in NUMBERS),
        sa.Column("reference_astig_uncertainty_nm", sa.Float(), nullable=True),
        sa.Column("residual_rms_px", sa.Float(), nullable=True),
        *(sa.Column(name, JSON, nullable=False) for name in MATRICES),
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table(TABLE) as batch:
        batch.create_index(op.f(f"ix_{TABLE}_created_at"), ["created_at"])
        batch.create_index(f"ix_{TABLE}_key", OPTICS_KEY)


def downgrade() -> None:
    """Drop btid_calibrations (its indexes go with it)."""
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_index(f"ix_{TABLE}_key")
        batch.drop_index(op.f(f"ix_{TABLE}_created_at"))
    op.drop_table(TABLE)
