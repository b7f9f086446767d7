"""Every CTF fit the service makes or is given, with the optics it was made at."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from astigd.app.db.base import AppendOnly, Base, CreatedAt
from astigd.app.db.types import BigId

# CtfFit's numeric fields, in its order; non-finite values are stored as NULL.
FIT_FLOAT_FIELDS = (
    "defocus1_nm", "defocus2_nm", "angle_deg", "astig_nm", "astig_x_nm", "astig_y_nm",
    "astig_uncertainty_nm", "defocus_mean_nm", "defocus_uncertainty_nm", "phase_shift_deg",
    "score", "resolution_A", "elapsed_ms",
)  # fmt: skip


class Measurement(AppendOnly, CreatedAt, Base):
    """One CTF fit: the fit's fields, its verdict, how it was made and the optics snapshot."""

    __tablename__ = "measurements"
    __table_args__ = (
        Index("ix_measurements_scope_id_created_at", "scope_id", "created_at"),
        Index("ix_measurements_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope_id: Mapped[str | None] = mapped_column(ForeignKey("scopes.id"))
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    defocus1_nm: Mapped[float | None] = mapped_column(Float)
    defocus2_nm: Mapped[float | None] = mapped_column(Float)
    angle_deg: Mapped[float | None] = mapped_column(Float)
    astig_nm: Mapped[float | None] = mapped_column(Float)
    astig_x_nm: Mapped[float | None] = mapped_column(Float)
    astig_y_nm: Mapped[float | None] = mapped_column(Float)
    astig_uncertainty_nm: Mapped[float | None] = mapped_column(Float)
    defocus_mean_nm: Mapped[float | None] = mapped_column(Float)
    defocus_uncertainty_nm: Mapped[float | None] = mapped_column(Float)
    phase_shift_deg: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    resolution_A: Mapped[float | None] = mapped_column(Float)
    elapsed_ms: Mapped[float | None] = mapped_column(Float)
    reliable: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    estimator: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    optics: Mapped[dict[str, Any] | None]
