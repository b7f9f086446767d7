"""Keep what was measured: profile-point statistics, the anisotropy angle's error, Cs checks.

Magnification-profile points gain the astigmatism RMSD, the fitted defocus with its RMSD, the
frame counts, the re-emerged astigmatism and the direct correction; anisotropy calibrations gain
the angle's uncertainty (all NULL on older rows); pixel_size_checks keeps every Cs/pixel-size
consistency check, keyed by the optical state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True)
POINTS, ANISO = "magnification_profile_points", "aniso_mag_calibrations"
CHECKS = "pixel_size_checks"
POINT_COLUMNS = (
    ("astig_rmsd_nm", sa.Float()), ("fitted_defocus_nm", sa.Float()),
    ("defocus_rmsd_nm", sa.Float()), ("n_frames", sa.Integer()), ("n_rejected", sa.Integer()),
    ("reemerged_x_nm", sa.Float()), ("reemerged_y_nm", sa.Float()), ("direct_correction", JSON),
)  # fmt: skip
OPTICS_KEY = ["scope_id", "ht_kv", "mag_index", "probe_mode_or_alpha", "created_at"]
CHECK_NUMBERS = ("pixel_size_A", "cs_nominal_mm", "cs_fit_mm", "pixel_size_error_percent",
                 "defocus_bias_fraction", "flag_percent")  # fmt: skip
CHECK_LISTS = ("defoci_nm", "frame_defocus_nm", "frame_errors")


def upgrade() -> None:
    """Add the profile-point and anisotropy columns; create pixel_size_checks."""
    with op.batch_alter_table(POINTS) as batch:
        for name, kind in POINT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table(ANISO) as batch:
        batch.add_column(sa.Column("angle_uncertainty_deg", sa.Float(), nullable=True))
    create_pixel_size_checks()


def create_pixel_size_checks() -> None:
    """Create pixel_size_checks and its indexes."""
    op.create_table(
        CHECKS,
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("scope_id", sa.String(64), sa.ForeignKey("scopes.id"), nullable=False),
        sa.Column("ht_kv", sa.Float(), nullable=False),
        sa.Column("mag_index", sa.Integer(), nullable=False),
        sa.Column("probe_mode_or_alpha", sa.String(32), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in CHECK_NUMBERS),
        sa.Column("pixel_size_error_sd_percent", sa.Float(), nullable=True),
        sa.Column("defocus_bias_nm_at_mean", sa.Float(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        *(sa.Column(name, JSON, nullable=False) for name in CHECK_LISTS),
        sa.Column("frames_skipped", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table(CHECKS) as batch:
        batch.create_index(op.f(f"ix_{CHECKS}_created_at"), ["created_at"])
        batch.create_index(f"ix_{CHECKS}_key", OPTICS_KEY)


def downgrade() -> None:
    """Drop pixel_size_checks and the added columns (their values go with them)."""
    with op.batch_alter_table(CHECKS) as batch:
        batch.drop_index(f"ix_{CHECKS}_key")
        batch.drop_index(op.f(f"ix_{CHECKS}_created_at"))
    op.drop_table(CHECKS)
    with op.batch_alter_table(ANISO) as batch:
        batch.drop_column("angle_uncertainty_deg")
    with op.batch_alter_table(POINTS) as batch:
        for name, _ in reversed(POINT_COLUMNS):
            batch.drop_column(name)
