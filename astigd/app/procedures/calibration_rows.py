"""How each calibration kind's record maps onto its table and point table (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from astigd.app.db.models import (
    AnisoMagCalibration,
    BtidCalibration,
    LensSweep,
    LensSweepPoint,
    MagnificationProfile,
    MagnificationProfilePoint,
    PixelSizeCalibration,
    PixelSizeCheck,
    StigmatorCalibration,
)

STIGMATOR_COLUMNS = (
    "residual_rms_nm",
    "residuals_nm",
    "condition_number",
    "probe_step",
    "defocus_nm",
    "n_probes",
)
SWEEP_COLUMNS = {
    "k_obj_nm_per_um": "k_magnitude_nm_per_um",
    "k_obj_se_nm_per_um": "k_magnitude_se_nm_per_um",
    "angle_deg": "k_angle_deg",
    "angle_se_deg": "k_angle_se_deg",
    "r_squared": "r_squared",
    "reference_defocus_nm": "reference_defocus_nm",
    "defocus_min_nm": "defocus_min_nm",
    "defocus_max_nm": "defocus_max_nm",
    "n_points": "n_points",
}
SWEEP_POINT_COLUMNS = (
    "defocus_nm",
    "astig_x_nm",
    "astig_y_nm",
    "astig_uncertainty_nm",
    "measurement_id",
)
BTID_COLUMNS = (
    "tilt_mrad", "n_directions", "reference_method", "reference_defocus_nm",
    "reference_astig_x_nm", "reference_astig_y_nm", "reference_astig_uncertainty_nm",
    "reference_stig_x", "reference_stig_y", "g_reference", "focus_response",
    "stigmator_shift_responses", "astig_response_nm_per_unit", "focus_step_nm", "stig_step",
    "residual_rms_px",
)  # fmt: skip
ANISO_COLUMNS = (
    "scale_major",
    "scale_minor",
    "angle_deg",
    "anisotropy_uncertainty",
    "angle_uncertainty_deg",
    "method",
    "n_frames",
)
PIXEL_SIZE_COLUMNS = ("pixel_size_A", "pixel_size_uncertainty_A", "method", "cs_mm_fitted")
PROFILE_POINT_COLUMNS = (
    "mag_index",
    "magnification",
    "astig_x_nm",
    "astig_y_nm",
    "astig_uncertainty_nm",
    "stig_x",
    "stig_y",
    "measurement_id",
    "astig_rmsd_nm",
    "fitted_defocus_nm",
    "defocus_rmsd_nm",
    "n_frames",
    "n_rejected",
    "reemerged_x_nm",
    "reemerged_y_nm",
    "direct_correction",
)
PIXEL_SIZE_CHECK_COLUMNS = (
    "pixel_size_A", "cs_nominal_mm", "cs_fit_mm", "pixel_size_error_percent",
    "pixel_size_error_sd_percent", "defocus_bias_fraction", "defocus_bias_nm_at_mean", "flagged",
    "flag_percent", "defoci_nm", "frame_defocus_nm", "frame_errors", "frames_skipped",
)  # fmt: skip


@dataclass(frozen=True)
class CalibrationKind:
    """A kind's table, its optional point table, and the record ↔ column mapping."""

    model: type
    columns: Callable[[dict[str, Any]], dict[str, Any]]
    record: Callable[[Any], dict[str, Any]]
    point_model: type | None = None
    point_columns: tuple[str, ...] = ()
    parent_column: str = ""


def _pick(record: dict[str, Any], names) -> dict[str, Any]:
    return {name: record.get(name) for name in names}


def _stigmator_columns(record: dict[str, Any]) -> dict[str, Any]:
    (xx, xy), (yx, yy) = record["matrix_nm_per_unit"]
    return {
        "response_xx_nm": xx,
        "response_xy_nm": xy,
        "response_yx_nm": yx,
        "response_yy_nm": yy,
        **_pick(record, STIGMATOR_COLUMNS),
    }


def _stigmator_record(row: StigmatorCalibration) -> dict[str, Any]:
    matrix = [[row.response_xx_nm, row.response_xy_nm], [row.response_yx_nm, row.response_yy_nm]]
    return {
        "matrix_nm_per_unit": matrix,
        **{name: getattr(row, name) for name in STIGMATOR_COLUMNS},
    }


def _sweep_columns(record: dict[str, Any]) -> dict[str, Any]:
    columns = {column: record.get(key) for key, column in SWEEP_COLUMNS.items()}
    columns["k_x_nm_per_um"], columns["k_y_nm_per_um"] = record["slope_nm_per_um"]
    columns["astig_ref_x_nm"], columns["astig_ref_y_nm"] = record.get("astig_ref_nm", (None,) * 2)
    return columns


def _sweep_record(row: LensSweep) -> dict[str, Any]:
    record = {key: getattr(row, column) for key, column in SWEEP_COLUMNS.items()}
    record["slope_nm_per_um"] = [row.k_x_nm_per_um, row.k_y_nm_per_um]
    record["astig_ref_nm"] = [row.astig_ref_x_nm, row.astig_ref_y_nm]
    return record


def _profile_columns(record: dict[str, Any]) -> dict[str, Any]:
    return {"defocus_nm": record["defocus_nm"], "n_points": len(record.get("points", []))}


def _profile_record(row: MagnificationProfile) -> dict[str, Any]:
    return {"defocus_nm": row.defocus_nm, "n_points": row.n_points}


def _columns_of(names: tuple[str, ...]) -> tuple[Callable, Callable]:
    """Return the column and record mappings of a kind whose fields are its columns."""
    return lambda record: _pick(record, names), lambda row: {n: getattr(row, n) for n in names}


KINDS: dict[str, CalibrationKind] = {
    "stigmator_response": CalibrationKind(
        StigmatorCalibration, _stigmator_columns, _stigmator_record
    ),
    "lens_sweep": CalibrationKind(
        LensSweep, _sweep_columns, _sweep_record, LensSweepPoint, SWEEP_POINT_COLUMNS, "sweep_id"
    ),
    "btid": CalibrationKind(BtidCalibration, *_columns_of(BTID_COLUMNS)),
    "mag_profile": CalibrationKind(
        MagnificationProfile,
        _profile_columns,
        _profile_record,
        MagnificationProfilePoint,
        PROFILE_POINT_COLUMNS,
        "profile_id",
    ),
    "aniso_mag": CalibrationKind(AnisoMagCalibration, *_columns_of(ANISO_COLUMNS)),
    "pixel_size": CalibrationKind(PixelSizeCalibration, *_columns_of(PIXEL_SIZE_COLUMNS)),
    "pixel_size_check": CalibrationKind(PixelSizeCheck, *_columns_of(PIXEL_SIZE_CHECK_COLUMNS)),
}


def kind_named(kind: str) -> CalibrationKind:
    """Return a calibration kind by name, or raise ValueError naming the known ones."""
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown calibration kind {kind!r}; known: {sorted(KINDS)}") from None
