"""The lens model, pure: a lens state in, the true astigmatism vector and defocus out.

In the frame of magnification i (doubled-angle vectors, nm; defocus underfocus-positive, nm):

    A = R(2ρ_i)·[A_lens(day) + K(day)·(df_lens − df_ref) + A_probe]
        + M_i·s + A_mag(i) + A_revisit + A_tilt + A_extra
    M_i = g_i·R(2ρ_i)·[gain_x·u(2φ_x), gain_y·u(2φ_y)],  φ_y = φ_x + 45° + skew
    df = df_lens + δf_i + z_stage + df_tilt
    A_tilt = −2·Cs·|τ|²·u(2·arg τ),  df_tilt = −2·Cs·|τ|²  (beam tilt τ off the coma-free axis)

The beam tilt off the coma-free axis, in the frame, is τ = R(ρ_i)·C·τ_command − τ_axis, with C
the tilt coils' gains and axes. Tilting the beam shifts the image by the gradient of the wave
aberration at the tilt (BTID, docs/btid.md; house signs W = −(λ/2π)·chi):

    d(τ) = −(df₀·I + ½·[[a₁, a₂], [a₂, −a₁]])·τ + Cs·|τ|²·τ + P·τ_command

with df₀ and (a₁, a₂) the defocus and astigmatism without the tilt's own terms, and P a small
pivot-point error (nm per mrad). d is in nm at the specimen, relative to the image with the
beam at the rotation centre (τ_command = 0), whose alignment keeps the image in place when only
the focus changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from astigd.drivers.simulator.lens import LensDay, StigmatorPair
from astigd.drivers.simulator.magnifications import Magnification
from astigd.drivers.simulator.seeding import rotation, unit_vector

REFERENCE_DEFOCUS_NM = 0.0  # df_ref: the lens's own astigmatism is quoted at eucentric focus


@dataclass(frozen=True)
class LensState:
    """Everything the optics depend on at one instant."""

    lens: LensDay
    stigmators: StigmatorPair
    mag: Magnification
    cs_mm: float
    defocus_lens_nm: float  # from the objective current, underfocus positive
    stig: tuple[float, float]  # effective MX, MY after hysteresis and settling
    tilt_mrad: tuple[float, float] = (0.0, 0.0)  # off the coma-free axis
    axis_mrad: tuple[float, float] = (0.0, 0.0)  # the coma-free axis, from the rotation centre
    stage_z_nm: float = 0.0
    probe_astig_vec_nm: tuple[float, float] = (0.0, 0.0)
    extra_astig_vec_nm: tuple[float, float] = (0.0, 0.0)  # revisit, drift and faults
    tilt_coils: np.ndarray = field(default_factory=lambda: np.eye(2))  # C: coil mrad → lens mrad
    tilt_pivot_nm_per_mrad: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)))  # P


@dataclass(frozen=True)
class OpticsTruth:
    """The true optics the camera sees and the truth endpoint reports."""

    astig_vec_nm: np.ndarray
    defocus_nm: float
    response_nm: np.ndarray  # M_i: nm per stigmator unit, columns MX and MY
    lens_frame_vec_nm: np.ndarray  # the lens terms (own + slope + probe), in the frame
    slope_frame_vec: np.ndarray  # K in the frame, nm per nm
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    tilt_shift_nm: np.ndarray = field(default_factory=lambda: np.zeros(2))  # d, frame axes


def stigmator_response(stigmators: StigmatorPair, mag: Magnification) -> np.ndarray:
    """Return M_i, the stigmators' response in the frame at one magnification (nm per unit)."""
    return mag.stig_gain * rotation(2.0 * mag.rotation_deg) @ stigmators.matrix()


def tilt_terms(tilt_mrad: tuple[float, float], cs_mm: float) -> tuple[np.ndarray, float]:
    """Return the astigmatism vector and defocus (nm) a beam tilt induces through Cs."""
    tau = np.asarray(tilt_mrad) * 1e-3
    size_nm = 2.0 * cs_mm * 1e6 * float(tau @ tau)
    angle_deg = float(np.degrees(np.arctan2(tau[1], tau[0])))
    return -size_nm * unit_vector(2.0 * angle_deg), -size_nm


def tilt_shift_nm(
    defocus_nm: float, astig_vec_nm: np.ndarray, tilt_mrad: np.ndarray, cs_mm: float
) -> np.ndarray:
    """Return the image shift (nm) of a tilt τ (frame axes): −(df·I + ½·A)·τ + Cs·|τ|²·τ."""
    tau = np.asarray(tilt_mrad, dtype=float) * 1e-3
    (a1, a2), eye = astig_vec_nm, np.eye(2)
    aberration = defocus_nm * eye + 0.5 * np.array([[a1, a2], [a2, -a1]])
    return -aberration @ tau + cs_mm * 1e6 * float(tau @ tau) * tau


def frame_tilt_mrad(state: LensState) -> np.ndarray:
    """Return the beam tilt off the coma-free axis in the frame's axes: R·C·τ_command − axis."""
    command = np.asarray(state.tilt_mrad) + np.asarray(state.axis_mrad)
    coils = rotation(state.mag.rotation_deg) @ state.tilt_coils
    return coils @ command - np.asarray(state.axis_mrad)


def evaluate(state: LensState) -> OpticsTruth:
    """Return the true astigmatism vector and defocus for a lens state."""
    turn = rotation(2.0 * state.mag.rotation_deg)
    slope = turn @ state.lens.slope_vec
    lens_terms = state.lens.astig_vec_nm + np.asarray(state.probe_astig_vec_nm)
    lens_frame = turn @ lens_terms + slope * (state.defocus_lens_nm - REFERENCE_DEFOCUS_NM)
    response = stigmator_response(state.stigmators, state.mag)
    tilt = frame_tilt_mrad(state)
    tilt_vec, tilt_defocus = tilt_terms(tuple(tilt), state.cs_mm)
    parts = {
        "lens": lens_frame,
        "stigmators": response @ np.asarray(state.stig),
        "magnification": np.asarray(state.mag.astig_vec_nm),
        "beam_tilt": tilt_vec,
        "extra": np.asarray(state.extra_astig_vec_nm),
    }
    untilted_nm = state.defocus_lens_nm + state.mag.defocus_offset_nm + state.stage_z_nm
    astig = sum(parts.values())
    shift = _tilt_shift_from_centre(state, untilted_nm, astig - tilt_vec, tilt)
    return OpticsTruth(
        astig_vec_nm=astig,
        defocus_nm=float(untilted_nm + tilt_defocus),
        response_nm=response,
        lens_frame_vec_nm=lens_frame,
        slope_frame_vec=slope,
        parts=parts,
        tilt_shift_nm=shift,
    )


def _tilt_shift_from_centre(state: LensState, defocus_nm: float, astig_nm, tilt) -> np.ndarray:
    """Return the image shift relative to the image with the beam at the rotation centre."""
    command = np.asarray(state.tilt_mrad) + np.asarray(state.axis_mrad)
    centre = -np.asarray(state.axis_mrad)
    here = tilt_shift_nm(defocus_nm, astig_nm, tilt, state.cs_mm)
    there = tilt_shift_nm(defocus_nm, astig_nm, centre, state.cs_mm)
    return here - there + state.tilt_pivot_nm_per_mrad @ command
