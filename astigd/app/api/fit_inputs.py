"""The optics and settings of an uploaded fit: from query parameters, else the scope inventory."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any, NamedTuple

from fastapi import HTTPException, status
from pydantic import BaseModel, Field

from astigd.app.api.uploads import unprocessable
from astigd.app.core.inventory import (
    SCOPE_ID_PATTERN,
    Inventory,
    MagnificationOptics,
    ScopeEntry,
)
from astigd.workers.anisotropy import AnisoMag
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings

MIN_BAND_RATIO = 1.5
ANISO_PATTERN = r"^\s*[-+0-9.eE]+\s*,\s*[-+0-9.eE]+\s*,\s*[-+0-9.eE]+\s*$"


class OpticsOverrides(BaseModel):
    """Optics and fitting band a client may give with a frame (else from the inventory)."""

    pixel_size_A: float | None = Field(None, gt=0, le=100, allow_inf_nan=False)
    kv: float | None = Field(None, gt=0, le=3000, allow_inf_nan=False)
    cs_mm: float | None = Field(None, ge=0, lt=20, allow_inf_nan=False)
    amplitude_contrast: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False)
    min_res_A: float | None = Field(None, gt=0, le=1000, allow_inf_nan=False)
    max_res_A: float | None = Field(None, gt=0, le=1000, allow_inf_nan=False)


class FitQuery(OpticsOverrides):
    """Query parameters of POST /fit; omitted optics come from the scope's inventory entry."""

    scope_id: str | None = Field(
        None, pattern=SCOPE_ID_PATTERN, description="Scope the frame came from."
    )
    mag_index: int | None = Field(None, ge=0, description="Magnification index (inventory).")
    aniso: str | None = Field(
        None, pattern=ANISO_PATTERN, description="SCALE_MAJOR,SCALE_MINOR,ANGLE_DEG"
    )
    dtype: str | None = Field(None, max_length=16, description="Raw body dtype, e.g. uint16.")
    shape: str | None = Field(None, max_length=40, description="Raw body shape, e.g. 4096,4096.")


class FitInputs(NamedTuple):
    """Everything a fit needs besides the frame, and the optics snapshot to store with it."""

    optics: Optics
    settings: FitSettings
    aniso: AnisoMag | None
    snapshot: dict[str, Any]


def resolve_fit_inputs(query: FitQuery, inventory: Inventory) -> FitInputs:
    """Combine query and inventory into optics and settings; 404 for an unknown scope."""
    scope = _scope(query.scope_id, inventory)
    mag = _magnification(scope, query.mag_index)
    try:
        optics = _optics(query, scope, mag)
        settings = _settings(query, optics.pixel_size_A)
    except ValueError as error:
        raise unprocessable(str(error)) from None
    aniso = _aniso(query.aniso) if query.aniso else _inventory_aniso(mag)
    snapshot = {
        **asdict(optics),
        "aniso": asdict(aniso) if aniso else None,
        "mag_index": query.mag_index,
        "camera": scope.optics.camera if scope else None,
    }
    return FitInputs(optics, settings, aniso, snapshot)


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def _optics(query: FitQuery, scope: ScopeEntry | None, mag: MagnificationOptics | None) -> Optics:
    """Return the query's optics, filling gaps from the scope's inventory entry."""
    nominal = scope.optics if scope else None
    pixel_size_A = _first(query.pixel_size_A, mag.pixel_size_A if mag else None)
    kv = _first(query.kv, nominal.kv if nominal else None)
    cs_mm = _first(query.cs_mm, nominal.cs_mm if nominal else None)
    contrast = _first(query.amplitude_contrast, nominal.amplitude_contrast if nominal else 0.07)
    if pixel_size_A is None or kv is None or cs_mm is None or contrast is None:
        raise ValueError(
            "pixel_size_A, kv and cs_mm are required (or a scope_id, and a mag_index for the "
            "pixel size, to take them from the inventory)"
        )
    return Optics(pixel_size_A, kv, cs_mm, contrast)


def _settings(query: FitQuery, pixel_size_A: float) -> FitSettings:
    """Return fit settings with the query's band; refuse a band too narrow to hold rings."""
    limits = {"min_res_A": query.min_res_A, "max_res_A": query.max_res_A}
    settings = FitSettings(**{name: value for name, value in limits.items() if value is not None})
    low_invA, high_invA = settings.band_invA(pixel_size_A)
    if high_invA < MIN_BAND_RATIO * low_invA:
        raise ValueError(
            f"the fitting band {1 / low_invA:.3g}–{1 / high_invA:.3g} Å is too narrow at "
            f"{pixel_size_A} Å/px (Nyquist {2 * pixel_size_A} Å): lower min_res_A"
        )
    return settings


def _scope(scope_id: str | None, inventory: Inventory) -> ScopeEntry | None:
    if scope_id is None:
        return None
    scope = inventory.get(scope_id)
    if scope is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    return scope


def _magnification(scope: ScopeEntry | None, mag_index: int | None) -> MagnificationOptics | None:
    if mag_index is None:
        return None
    if scope is None:
        raise unprocessable("mag_index needs a scope_id to look the magnification up")
    mag = scope.optics.at_mag(mag_index)
    if mag is None:
        raise unprocessable(f"scope {scope.id!r} has no magnification {mag_index} in its inventory")
    return mag


def _inventory_aniso(mag: MagnificationOptics | None) -> AnisoMag | None:
    return mag.aniso.to_aniso() if mag and mag.aniso else None


def _aniso(text: str) -> AnisoMag:
    try:
        major, minor, angle = (float(part) for part in text.split(","))
        if not math.isfinite(angle):
            raise ValueError("the angle must be finite")
        return AnisoMag(major, minor, angle)
    except ValueError as error:
        raise unprocessable(f"aniso {text!r}: {error}") from None
