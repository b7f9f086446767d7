"""Lens behaviour over defocus (sweeps giving the slope K) and over magnification (profiles)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from astigd.app.db.base import AppendOnly, Base
from astigd.app.db.models.calibrations import OpticsKeyed, ScopeStateKeyed
from astigd.app.db.types import BigId


class LensSweep(OpticsKeyed, Base):
    """A defocus sweep's fit A(df) = A(df_ref) + K·(df − df_ref); K in nm per µm of defocus."""

    __tablename__ = "lens_sweeps"

    k_magnitude_nm_per_um: Mapped[float] = mapped_column(Float)
    k_magnitude_se_nm_per_um: Mapped[float | None] = mapped_column(Float)
    k_angle_deg: Mapped[float] = mapped_column(Float)
    k_angle_se_deg: Mapped[float | None] = mapped_column(Float)
    k_x_nm_per_um: Mapped[float] = mapped_column(Float)
    k_y_nm_per_um: Mapped[float] = mapped_column(Float)
    r_squared: Mapped[float | None] = mapped_column(Float)
    reference_defocus_nm: Mapped[float] = mapped_column(Float)
    astig_ref_x_nm: Mapped[float | None] = mapped_column(Float)
    astig_ref_y_nm: Mapped[float | None] = mapped_column(Float)
    defocus_min_nm: Mapped[float] = mapped_column(Float)
    defocus_max_nm: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int]


class LensSweepPoint(AppendOnly, Base):
    """One defocus step of a sweep: the astigmatism vector measured there."""

    __tablename__ = "lens_sweep_points"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sweep_id: Mapped[int] = mapped_column(ForeignKey("lens_sweeps.id"), index=True)
    defocus_nm: Mapped[float] = mapped_column(Float)
    astig_x_nm: Mapped[float] = mapped_column(Float)
    astig_y_nm: Mapped[float] = mapped_column(Float)
    astig_uncertainty_nm: Mapped[float | None] = mapped_column(Float)
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id"))


class MagnificationProfile(ScopeStateKeyed, Base):
    """Astigmatism across magnifications at one defocus (it cannot be pre-calibrated away)."""

    __tablename__ = "magnification_profiles"

    defocus_nm: Mapped[float] = mapped_column(Float)
    n_points: Mapped[int]


class MagnificationProfilePoint(AppendOnly, Base):
    """One magnification of a profile: astigmatism and defocus (mean, RMSD) and the stigmators.

    The columns after `measurement_id` came with revision 0005 and are NULL on older rows.
    """

    __tablename__ = "magnification_profile_points"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("magnification_profiles.id"), index=True)
    mag_index: Mapped[int]
    magnification: Mapped[float | None] = mapped_column(Float)
    astig_x_nm: Mapped[float] = mapped_column(Float)
    astig_y_nm: Mapped[float] = mapped_column(Float)
    astig_uncertainty_nm: Mapped[float | None] = mapped_column(Float)
    stig_x: Mapped[float | None] = mapped_column(Float)
    stig_y: Mapped[float | None] = mapped_column(Float)
    measurement_id: Mapped[int | None] = mapped_column(ForeignKey("measurements.id"))
    astig_rmsd_nm: Mapped[float | None] = mapped_column(Float)
    fitted_defocus_nm: Mapped[float | None] = mapped_column(Float)
    defocus_rmsd_nm: Mapped[float | None] = mapped_column(Float)
    n_frames: Mapped[int | None]
    n_rejected: Mapped[int | None]
    # What re-emerged here since the first magnification's correction, and (correct_each) what
    # correcting here directly did: astig_after_nm, astig_removed_vec_nm, stig_change, moves.
    reemerged_x_nm: Mapped[float | None] = mapped_column(Float)
    reemerged_y_nm: Mapped[float | None] = mapped_column(Float)
    direct_correction: Mapped[dict[str, Any] | None]
