"""The stored BTID calibration: lookup, and turning a measured G into a defocus and astigmatism.

The estimate is returned as a `CtfFit` with estimator "astigd-btid", so the correction loop
applies the same gates (reliability, score, focus change, growth) to it as to a CTF fit, and it
is stored as a measurement like one; its parameters say how it was made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from astigd import __version__
from astigd.app.procedures.btid_measure import BtidMeasurement, BtidSettings
from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.stigmator_calibration import calibration_info
from astigd.drivers.records import OpticsSnapshot
from astigd.workers.astigmatism import astig_from_vector, defocus_pair
from astigd.workers.btid import (
    aberration_change,
    astig_of,
    astig_sigma_nm,
    defocus_of,
    skew_of,
)
from astigd.workers.results import CtfFit
from astigd.workers.stigmator_response import StigmatorResponse

KIND = "btid"
ESTIMATOR = "astigd-btid"
LENS_SWEEP = "lens_sweep"


@dataclass(frozen=True)
class StoredBtid:
    """A stored BTID calibration, as arrays, with the lens slope that applies (nm per nm)."""

    record: dict[str, Any]
    slope: np.ndarray
    slope_info: dict[str, Any] | None

    def array(self, name: str) -> np.ndarray:
        """Return a stored matrix as an array."""
        return np.asarray(self.record[name], dtype=float)

    def settings(self, shots: BtidSettings) -> BtidSettings:
        """Return the measurement settings: the calibrated tilt and directions, shots as given."""
        update = {"tilt_mrad": self.record["tilt_mrad"], "directions": self.record["n_directions"]}
        return shots.model_copy(update=update)

    def response(self) -> StigmatorResponse:
        """Return the stigmator response the calibration measured (nm per unit)."""
        matrix = self.array("astig_response_nm_per_unit")
        return StigmatorResponse(matrix, np.zeros(2), math.nan, 4)

    def info(self) -> dict[str, Any]:
        """Return which calibrations were used."""
        return {**calibration_info(self.record), "lens_sweep": self.slope_info}


async def load_btid(ctx: ProcedureContext, snapshot: OpticsSnapshot) -> StoredBtid:
    """Return the current BTID calibration at this magnification; refuse when there is none."""
    record = await ctx.calibrations.current(KIND, snapshot, same_mag_only=True)
    if record is None:
        raise ProcedureError(
            f"no BTID calibration at magnification index {snapshot.mag.index}: "
            "run calibrate_btid there first"
        )
    sweep = await ctx.calibrations.current(LENS_SWEEP, snapshot)
    if sweep is None:
        return StoredBtid(record, np.zeros(2), None)
    slope = np.asarray(sweep["slope_nm_per_um"], dtype=float) / 1000.0
    return StoredBtid(record, slope, calibration_info(sweep))


def estimate(measurement: BtidMeasurement, calibration: StoredBtid) -> CtfFit:
    """Return the defocus and astigmatism a measured G implies, as a CtfFit ("btid")."""
    focus = calibration.array("focus_response")
    h = aberration_change(measurement.matrix_per_binning1() - calibration.array("g_reference"),
                          focus)  # fmt: skip
    change_nm = defocus_of(h)
    record = calibration.record
    reference = np.array([record["reference_astig_x_nm"], record["reference_astig_y_nm"]])
    vector = reference + astig_of(h) + calibration.slope * change_nm
    defocus_nm = float(record["reference_defocus_nm"]) + change_nm
    sigma = _sigma_nm(measurement, calibration, focus)
    parameters = {"method": "btid", "defocus_change_from_reference_nm": change_nm,
                  "skew_nm": skew_of(h), **_inputs(measurement, calibration),
                  **measurement.summary()}  # fmt: skip
    return _as_fit(vector, defocus_nm, sigma, measurement, parameters)


def _inputs(measurement: BtidMeasurement, calibration: StoredBtid) -> dict[str, Any]:
    """Return what the estimate was made with: shots, and the calibration rows it leaned on."""
    frame, record = measurement.frame, calibration.record
    return {
        "tilt_mrad": record["tilt_mrad"], "n_directions": record["n_directions"],
        "exposure_s": frame.exposure_s, "binning": measurement.binning,
        "btid_calibration_id": record.get("id"),
        "lens_sweep_calibration_id": (calibration.slope_info or {}).get("id"),
    }  # fmt: skip


def _sigma_nm(measurement: BtidMeasurement, calibration: StoredBtid, focus) -> float:
    """Return the astigmatism's standard error: this measurement's and the reference's."""
    own = astig_sigma_nm(measurement.shift.sigma * measurement.binning, focus)
    reference = calibration.record.get("reference_astig_uncertainty_nm") or 0.0
    return math.hypot(own, float(reference))


def _as_fit(vector, defocus_nm: float, sigma: float, measurement, parameters) -> CtfFit:
    """Pack the estimate into the CtfFit the correction loop gates on."""
    magnitude, angle = astig_from_vector(float(vector[0]), float(vector[1]))
    pair = defocus_pair(defocus_nm, magnitude, angle)
    reason = None if measurement.reliable else _weak_reason(measurement)
    return CtfFit(
        defocus1_nm=pair.defocus1_nm, defocus2_nm=pair.defocus2_nm, angle_deg=pair.angle_deg,
        astig_nm=magnitude, astig_x_nm=float(vector[0]), astig_y_nm=float(vector[1]),
        astig_uncertainty_nm=sigma, defocus_mean_nm=defocus_nm,
        defocus_uncertainty_nm=sigma, phase_shift_deg=0.0, score=measurement.score,
        resolution_A=math.nan, reliable=measurement.reliable, reason=reason, elapsed_ms=0.0,
        estimator=ESTIMATOR, version=__version__, parameters=parameters,
    )  # fmt: skip


def _weak_reason(measurement: BtidMeasurement) -> str:
    """Return why the BTID measurement cannot be trusted."""
    weakest = min(peak.peak_sigmas for peak in measurement.peaks)
    return (f"a BTID correlation peak is only {weakest:.1f} σ above the background: the frames "
            "do not show the same specimen area, or too little contrast")  # fmt: skip
