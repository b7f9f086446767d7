"""Append-only calibrations keyed by scope and optical state (DESIGN.md §4).

"Current" means the newest row for a key at or before a given time; rows are never updated.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from astigd.app.db.base import AppendOnly, Base, CreatedAt
from astigd.app.db.types import BigId


class ScopeStateKeyed(AppendOnly, CreatedAt):
    """Scope, HT, probe mode or alpha, and the job that made the row (if any)."""

    key_columns = ("scope_id", "ht_kv", "probe_mode_or_alpha", "created_at")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True, sort_order=-9)
    scope_id: Mapped[str] = mapped_column(ForeignKey("scopes.id"), sort_order=-8)
    ht_kv: Mapped[float] = mapped_column(Float, sort_order=-7)
    probe_mode_or_alpha: Mapped[str] = mapped_column(String(32), sort_order=-5)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), sort_order=9)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 (a class-level directive)
        """Index the lookup of the current row for a key."""
        return (Index(f"ix_{cls.__tablename__}_key", *cls.key_columns),)


class OpticsKeyed(ScopeStateKeyed):
    """Keyed by the full optical state: also the magnification index."""

    key_columns = ("scope_id", "ht_kv", "mag_index", "probe_mode_or_alpha", "created_at")

    mag_index: Mapped[int] = mapped_column(sort_order=-6)


class StigmatorCalibration(OpticsKeyed, Base):
    """The stigmator response: astigmatism vector (nm) per stigmator unit, from ± probes.

    The matrix maps a stigmator change (Δstig_x, Δstig_y) to the astigmatism-vector change
    (Δa_x, Δa_y) = [[xx, xy], [yx, yy]] · (Δstig_x, Δstig_y), all in nm per unit.
    """

    __tablename__ = "stigmator_calibrations"

    response_xx_nm: Mapped[float] = mapped_column(Float)
    response_xy_nm: Mapped[float] = mapped_column(Float)
    response_yx_nm: Mapped[float] = mapped_column(Float)
    response_yy_nm: Mapped[float] = mapped_column(Float)
    residual_rms_nm: Mapped[float | None] = mapped_column(Float)
    residuals_nm: Mapped[list[Any] | None]
    condition_number: Mapped[float | None] = mapped_column(Float)
    probe_step: Mapped[float | None] = mapped_column(Float)
    defocus_nm: Mapped[float | None] = mapped_column(Float)
    n_probes: Mapped[int | None]


class AnisoMagCalibration(OpticsKeyed, Base):
    """Anisotropic magnification at one magnification (see workers.anisotropy.AnisoMag)."""

    __tablename__ = "aniso_mag_calibrations"

    scale_major: Mapped[float] = mapped_column(Float)
    scale_minor: Mapped[float] = mapped_column(Float)
    angle_deg: Mapped[float] = mapped_column(Float)
    anisotropy_uncertainty: Mapped[float | None] = mapped_column(Float)
    angle_uncertainty_deg: Mapped[float | None] = mapped_column(Float)  # NULL before 0005
    method: Mapped[str] = mapped_column(String(64))
    n_frames: Mapped[int | None]


class PixelSizeCalibration(OpticsKeyed, Base):
    """Calibrated pixel size at the specimen for binning 1 at one magnification."""

    __tablename__ = "pixel_size_calibrations"

    pixel_size_A: Mapped[float] = mapped_column(Float)
    pixel_size_uncertainty_A: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(64))
    cs_mm_fitted: Mapped[float | None] = mapped_column(Float)


class PixelSizeCheck(OpticsKeyed, Base):
    """A Cs/pixel-size consistency check: Cs fitted free over a defocus series (check_pixel_size).

    pixel_size_error_percent is the implied error (Cs_fit/Cs_nominal)^(1/4) − 1 of the declared
    `pixel_size_A` (binning 1); defocus_bias_fraction is what it does to Cs-fixed defoci.
    """

    __tablename__ = "pixel_size_checks"

    pixel_size_A: Mapped[float] = mapped_column(Float)
    cs_nominal_mm: Mapped[float] = mapped_column(Float)
    cs_fit_mm: Mapped[float] = mapped_column(Float)
    pixel_size_error_percent: Mapped[float] = mapped_column(Float)
    pixel_size_error_sd_percent: Mapped[float | None] = mapped_column(Float)
    defocus_bias_fraction: Mapped[float] = mapped_column(Float)
    defocus_bias_nm_at_mean: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool]
    flag_percent: Mapped[float] = mapped_column(Float)
    defoci_nm: Mapped[list[Any]]  # the commanded series
    frame_defocus_nm: Mapped[list[Any]]  # fitted per frame used
    frame_errors: Mapped[list[Any]]  # implied pixel-size error per frame (fraction)
    frames_skipped: Mapped[int]


class BtidCalibration(OpticsKeyed, Base):
    """Beam-tilt-induced displacement: shift responses to focus and stigmators, and a reference.

    G (unbinned pixels of image shift per mrad of beam tilt, from ± pairs) was measured at a
    reference state whose defocus and astigmatism are known; focus_response is ∂G/∂defocus
    (per nm) and stigmator_shift_responses ∂G/∂stig_x, ∂G/∂stig_y (per unit). See docs/btid.md.
    """

    __tablename__ = "btid_calibrations"

    tilt_mrad: Mapped[float] = mapped_column(Float)
    n_directions: Mapped[int]
    reference_method: Mapped[str] = mapped_column(String(32))
    reference_defocus_nm: Mapped[float] = mapped_column(Float)
    reference_astig_x_nm: Mapped[float] = mapped_column(Float)
    reference_astig_y_nm: Mapped[float] = mapped_column(Float)
    reference_astig_uncertainty_nm: Mapped[float | None] = mapped_column(Float)
    reference_stig_x: Mapped[float] = mapped_column(Float)
    reference_stig_y: Mapped[float] = mapped_column(Float)
    g_reference: Mapped[list[Any]]
    focus_response: Mapped[list[Any]]
    stigmator_shift_responses: Mapped[list[Any]]
    astig_response_nm_per_unit: Mapped[list[Any]]
    focus_step_nm: Mapped[float] = mapped_column(Float)
    stig_step: Mapped[float] = mapped_column(Float)
    residual_rms_px: Mapped[float | None] = mapped_column(Float)
