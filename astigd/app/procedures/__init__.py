"""The procedures a job runs on a scope, by name: params model and `run(ctx, params) -> dict`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from astigd.app.procedures import (
    acceptance,
    calibrate_btid,
    calibrate_magnification,
    calibrate_stigmators,
    check_pixel_size,
    correct,
    defocus_sweep,
    mag_sweep,
)
from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.params import ProcedureParams


class Procedure(NamedTuple):
    """A procedure: its validated parameters and its coroutine."""

    params: type[ProcedureParams]
    run: Callable[[ProcedureContext, Any], Awaitable[dict[str, Any]]]


PROCEDURES: dict[str, Procedure] = {
    calibrate_stigmators.NAME: Procedure(
        calibrate_stigmators.CalibrateParams, calibrate_stigmators.run
    ),
    calibrate_btid.NAME: Procedure(calibrate_btid.CalibrateBtidParams, calibrate_btid.run),
    correct.NAME: Procedure(correct.CorrectParams, correct.run),
    defocus_sweep.NAME: Procedure(defocus_sweep.DefocusSweepParams, defocus_sweep.run),
    mag_sweep.NAME: Procedure(mag_sweep.MagSweepParams, mag_sweep.run),
    acceptance.NAME: Procedure(acceptance.AcceptanceParams, acceptance.run),
    calibrate_magnification.NAME: Procedure(
        calibrate_magnification.CalibrateMagnificationParams, calibrate_magnification.run
    ),
    check_pixel_size.NAME: Procedure(check_pixel_size.CheckPixelSizeParams, check_pixel_size.run),
}

__all__ = ["PROCEDURES", "Procedure", "ProcedureError"]
