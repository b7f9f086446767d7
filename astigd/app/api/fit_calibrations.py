"""Apply a scope's stored gold calibration to an uploaded or live frame's fit inputs.

When the frame names its scope and magnification and the client gave no pixel size (or no
anisotropy), the current stored calibration for that scope, HT and magnification (the same
lookup as the procedures' fits, any probe mode or alpha) replaces the inventory's value, and the
measurement's optics snapshot names the calibration rows used.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.api.fit_inputs import FitInputs
from astigd.app.db.calibrations import current_gold_calibration
from astigd.app.db.models import AnisoMagCalibration, PixelSizeCalibration
from astigd.workers.anisotropy import AnisoMag


def with_stored_calibrations(
    sessions: sessionmaker[Session],
    scope_id: str | None,
    mag_index: int | None,
    inputs: FitInputs,
    pixel_given: bool,
    aniso_given: bool,
) -> FitInputs:
    """Return the inputs with the stored pixel size and anisotropy where the client gave none."""
    if scope_id is None or mag_index is None or (pixel_given and aniso_given):
        return inputs
    key = (scope_id, inputs.optics.kv, mag_index)
    with sessions() as session:
        pixel = _unless_given(session, PixelSizeCalibration, pixel_given, key)
        aniso_row = _unless_given(session, AnisoMagCalibration, aniso_given, key)
    optics, aniso, snapshot = inputs.optics, inputs.aniso, dict(inputs.snapshot)
    if pixel is not None:
        optics = replace(optics, pixel_size_A=pixel.pixel_size_A)
        snapshot.update(pixel_size_A=pixel.pixel_size_A, pixel_size_calibration_id=pixel.id)
    if aniso_row is not None:
        aniso = AnisoMag(aniso_row.scale_major, aniso_row.scale_minor, aniso_row.angle_deg)
        snapshot.update(aniso=asdict(aniso), aniso_mag_calibration_id=aniso_row.id)
    return inputs._replace(optics=optics, aniso=aniso, snapshot=snapshot)


def _unless_given(session: Session, model, given: bool, key: tuple):
    """Return the current gold calibration of `model`, or None when the client gave the value."""
    return None if given else current_gold_calibration(session, model, *key)
