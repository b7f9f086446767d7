"""The newest fitted frame's spectrum with the fitted Thon-ring ellipses, for the live fit view."""

from __future__ import annotations

import math
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel

from astigd.app.api.deps import InventoryDep, ReadDep, SessionDep
from astigd.app.api.routes.history import known_scope
from astigd.app.db.models import Measurement
from astigd.app.live.spectra import KeptFrame
from astigd.outputs.spectrum_png import FittedRings, spectrum_png
from astigd.workers.spectrum import estimate_power_spectrum

router = APIRouter(tags=["fit"])
SPECTRUM_BOX_PX = 512  # fine enough to resolve the rings; the fit chose its own box
PNG = "image/png"
PNG_RESPONSES = {
    200: {"content": {PNG: {}}, "description": "The spectrum with the fitted zero rings"},
    404: {"description": "Unknown scope, or no frame fitted since the service started"},
}


class KeptSpectrumOut(BaseModel):
    """Which measurement's spectrum the PNG shows (null: none fitted since the service started)."""

    scope_id: str
    measurement_id: int | None
    kept_at: datetime | None


def _kept(request: Request, scope_id: str) -> KeptFrame | None:
    return request.app.state.spectra.latest(scope_id)


@router.get(
    "/scopes/{scope_id}/spectrum",
    response_model=KeptSpectrumOut,
    responses={404: {"description": "Unknown scope"}},
)
def get_spectrum_info(
    scope_id: str,
    request: Request,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
) -> KeptSpectrumOut:
    """Return which fitted frame of the scope (kept in memory) the spectrum PNG shows."""
    known_scope(scope_id, inventory, session)
    kept = _kept(request, scope_id)
    if kept is None:
        return KeptSpectrumOut(scope_id=scope_id, measurement_id=None, kept_at=None)
    return KeptSpectrumOut(
        scope_id=scope_id, measurement_id=kept.measurement_id, kept_at=kept.kept_at
    )


@router.get("/scopes/{scope_id}/spectrum.png", response_class=Response, responses=PNG_RESPONSES)
def get_spectrum_png(
    scope_id: str,
    request: Request,
    principal: ReadDep,
    session: SessionDep,
    inventory: InventoryDep,
) -> Response:
    """Draw the newest fitted frame's power spectrum with the zero rings its fit predicts."""
    known_scope(scope_id, inventory, session)
    kept = _kept(request, scope_id)
    measurement = session.get(Measurement, kept.measurement_id) if kept else None
    if kept is None or measurement is None:
        detail = f"no frame of scope {scope_id!r} was fitted since the service started"
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
    png = _render(kept, _rings(measurement))  # a sync route: FastAPI runs it in a worker thread
    headers = {"X-Measurement-Id": str(kept.measurement_id), "Cache-Control": "no-store"}
    return Response(png, media_type=PNG, headers=headers)


def _rings(row: Measurement) -> FittedRings | None:
    """Return the fit's rings, or None when the fit has no defocus (nothing to draw)."""
    numbers = (row.defocus_mean_nm, row.astig_x_nm, row.astig_y_nm)
    if any(value is None or not math.isfinite(value) for value in numbers):
        return None
    verdict = "reliable" if row.reliable else "unreliable"
    caption = (
        f"measurement {row.id} ({verdict}): defocus {row.defocus_mean_nm:.0f} nm,\n"
        f"astigmatism {row.astig_nm:.1f} nm at {row.angle_deg:.1f}°"
    )
    return FittedRings(row.defocus_mean_nm, (row.astig_x_nm, row.astig_y_nm), caption)


def _render(kept: KeptFrame, rings: FittedRings | None) -> bytes:
    spectrum = estimate_power_spectrum(kept.image, kept.optics.pixel_size_A, SPECTRUM_BOX_PX)
    return spectrum_png(spectrum, kept.optics, rings)
