"""Initial schema: scopes, jobs and events, measurements, calibrations, API keys, optics audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True)
JOB_STATES = "'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'"
OPTICS_KEY = ["scope_id", "ht_kv", "mag_index", "probe_mode_or_alpha", "created_at"]
STATE_KEY = ["scope_id", "ht_kv", "probe_mode_or_alpha", "created_at"]


def utc(name: str, nullable: bool = False) -> sa.Column:
    """Return a timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def number(name: str, nullable: bool = False) -> sa.Column:
    """Return a float column."""
    return sa.Column(name, sa.Float(), nullable=nullable)


def big_id() -> sa.Column:
    """Return an autoincrementing 64-bit primary key column."""
    return sa.Column("id", BIG_ID, primary_key=True, autoincrement=True)


def scope_ref(nullable: bool = False) -> sa.Column:
    """Return a scope_id column referencing scopes."""
    return sa.Column("scope_id", sa.String(64), sa.ForeignKey("scopes.id"), nullable=nullable)


def job_ref() -> sa.Column:
    """Return a nullable job_id column referencing jobs."""
    return sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), nullable=True)


def keyed_table(name: str, with_mag: bool, *columns: sa.Column) -> None:
    """Create an append-only calibration table keyed by scope and optical state."""
    key = [scope_ref(), number("ht_kv")]
    if with_mag:
        key.append(sa.Column("mag_index", sa.Integer(), nullable=False))
    key.append(sa.Column("probe_mode_or_alpha", sa.String(32), nullable=False))
    op.create_table(name, big_id(), *key, *columns, job_ref(), utc("created_at"))
    indexes(name, created_at=True, key=OPTICS_KEY if with_mag else STATE_KEY)


def indexes(table: str, *columns: str, created_at: bool = True, key: list[str] | None = None):
    """Create the single-column indexes, the created_at index and the calibration-key index."""
    for column in (*columns, *(["created_at"] if created_at else [])):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])
    if key:
        op.create_index(f"ix_{table}_key", table, key)


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(128)),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        utc("revoked_at", nullable=True),
        utc("created_at"),
    )
    indexes("api_keys")
    op.create_table(
        "scopes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("driver", sa.String(16), nullable=False),
        sa.Column("address", sa.String(255)),
        sa.Column("name", sa.String(255)),
        utc("registered_at"),
        utc("seen_at"),
    )
    create_jobs()
    create_measurements()
    create_calibrations()
    create_lens_tables()
    create_optics_audit()


def create_jobs() -> None:
    """Create jobs and their event streams."""
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        scope_ref(),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(32)),
        utc("created_at"),
        utc("started_at", nullable=True),
        utc("finished_at", nullable=True),
        sa.Column("start_snapshot", JSON),
        sa.Column("result", JSON),
        sa.Column("error", sa.Text()),
        sa.CheckConstraint(f"state IN ({JOB_STATES})", name=op.f("ck_jobs_state")),
    )
    indexes("jobs")
    op.create_index("ix_jobs_scope_id_state", "jobs", ["scope_id", "state"])
    op.create_table(
        "job_events",
        big_id(),
        sa.Column("job_id", sa.Uuid(), sa.ForeignKey("jobs.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        utc("created_at"),
        sa.UniqueConstraint("job_id", "seq"),
    )
    indexes("job_events")


def create_measurements() -> None:
    """Create the table of every fit."""
    fit_numbers = (
        "defocus1_nm", "defocus2_nm", "angle_deg", "astig_nm", "astig_x_nm", "astig_y_nm",
        "astig_uncertainty_nm", "defocus_mean_nm", "defocus_uncertainty_nm", "phase_shift_deg",
        "score", "resolution_A", "elapsed_ms",
    )  # fmt: skip
    op.create_table(
        "measurements",
        big_id(),
        scope_ref(nullable=True),
        job_ref(),
        sa.Column("source", sa.String(32), nullable=False),
        *(number(name, nullable=True) for name in fit_numbers),
        sa.Column("reliable", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("estimator", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("optics", JSON),
        utc("created_at"),
    )
    indexes("measurements", "job_id")
    op.create_index(
        "ix_measurements_scope_id_created_at", "measurements", ["scope_id", "created_at"]
    )


def create_calibrations() -> None:
    """Create the append-only calibration tables."""
    keyed_table(
        "stigmator_calibrations",
        True,
        *(number(f"response_{ij}_nm") for ij in ("xx", "xy", "yx", "yy")),
        number("residual_rms_nm", nullable=True),
        sa.Column("residuals_nm", JSON),
        number("condition_number", nullable=True),
        number("probe_step", nullable=True),
        number("defocus_nm", nullable=True),
        sa.Column("n_probes", sa.Integer()),
    )
    keyed_table(
        "aniso_mag_calibrations",
        True,
        number("scale_major"),
        number("scale_minor"),
        number("angle_deg"),
        number("anisotropy_uncertainty", nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("n_frames", sa.Integer()),
    )
    keyed_table(
        "pixel_size_calibrations",
        True,
        number("pixel_size_A"),
        number("pixel_size_uncertainty_A", nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
        number("cs_mm_fitted", nullable=True),
    )


def create_lens_tables() -> None:
    """Create lens sweeps and magnification profiles, with their points."""
    keyed_table(
        "lens_sweeps",
        True,
        number("k_magnitude_nm_per_um"),
        number("k_magnitude_se_nm_per_um", nullable=True),
        number("k_angle_deg"),
        number("k_angle_se_deg", nullable=True),
        number("k_x_nm_per_um"),
        number("k_y_nm_per_um"),
        number("r_squared", nullable=True),
        number("reference_defocus_nm"),
        number("astig_ref_x_nm", nullable=True),
        number("astig_ref_y_nm", nullable=True),
        number("defocus_min_nm"),
        number("defocus_max_nm"),
        sa.Column("n_points", sa.Integer(), nullable=False),
    )
    op.create_table(
        "lens_sweep_points",
        big_id(),
        sa.Column("sweep_id", BIG_ID, sa.ForeignKey("lens_sweeps.id"), nullable=False),
        number("defocus_nm"),
        number("astig_x_nm"),
        number("astig_y_nm"),
        number("astig_uncertainty_nm", nullable=True),
        sa.Column("measurement_id", BIG_ID, sa.ForeignKey("measurements.id")),
    )
    indexes("lens_sweep_points", "sweep_id", created_at=False)
    keyed_table(
        "magnification_profiles",
        False,
        number("defocus_nm"),
        sa.Column("n_points", sa.Integer(), nullable=False),
    )
    op.create_table(
        "magnification_profile_points",
        big_id(),
        sa.Column("profile_id", BIG_ID, sa.ForeignKey("magnification_profiles.id"), nullable=False),
        sa.Column("mag_index", sa.Integer(), nullable=False),
        number("magnification", nullable=True),
        number("astig_x_nm"),
        number("astig_y_nm"),
        number("astig_uncertainty_nm", nullable=True),
        number("stig_x", nullable=True),
        number("stig_y", nullable=True),
        sa.Column("measurement_id", BIG_ID, sa.ForeignKey("measurements.id")),
    )
    indexes("magnification_profile_points", "profile_id", created_at=False)


def create_optics_audit() -> None:
    """Create the audit log of optics changes."""
    op.create_table(
        "optics_audit",
        big_id(),
        scope_ref(),
        sa.Column("what", sa.String(64), nullable=False),
        sa.Column("before", JSON),
        sa.Column("after", JSON),
        sa.Column("requested", JSON),
        sa.Column("error", sa.Text()),
        job_ref(),
        utc("changed_at"),
        utc("created_at"),
    )
    indexes("optics_audit", "scope_id", "job_id")


TABLES_NEWEST_FIRST = (
    "optics_audit", "magnification_profile_points", "magnification_profiles",
    "lens_sweep_points", "lens_sweeps", "pixel_size_calibrations", "aniso_mag_calibrations",
    "stigmator_calibrations", "measurements", "job_events", "jobs", "scopes", "api_keys",
)  # fmt: skip


def downgrade() -> None:
    """Drop every table (their indexes go with them)."""
    for table in TABLES_NEWEST_FIRST:
        op.drop_table(table)
