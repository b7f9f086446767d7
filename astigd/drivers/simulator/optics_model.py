"""The lens model, pure: a lens state in, the true astigmatism vector and defocus out.

In the frame of magnification i (doubled-angle vectors, nm; defocus underfocus-positive, nm):

    A = R(2ρ_i)·[A_lens(day) + K(day)·(df_lens − df_ref) + A_probe]
        + M_i·s + A_mag(i) + A_revisit + A_tilt + A_extra
    M_i = g_i·R(2ρ_i)·[gain_x·u(2φ_x), gain_y·u(2φ_y)],  φ_y = φ_x + 45° + skew
    df = df_lens + δf_i + z_stage + df_tilt
    A_tilt = −2·Cs·|τ|²·u(2·arg τ),  df_tilt = −2·Cs·|τ|²  (beam tilt τ off the coma-free axis)
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
    stage_z_nm: float = 0.0
    probe_astig_vec_nm: tuple[float, float] = (0.0, 0.0)
    extra_astig_vec_nm: tuple[float, float] = (0.0, 0.0)  # revisit, drift and faults


@dataclass(frozen=True)
class OpticsTruth:
    """The true optics the camera sees and the truth endpoint reports."""

    astig_vec_nm: np.ndarray
    defocus_nm: float
    response_nm: np.ndarray  # M_i: nm per stigmator unit, columns MX and MY
    lens_frame_vec_nm: np.ndarray  # the lens terms (own + slope + probe), in the frame
    slope_frame_vec: np.ndarray  # K in the frame, nm per nm
    parts: dict[str, np.ndarray] = field(default_factory=dict)


def stigmator_response(stigmators: StigmatorPair, mag: Magnification) -> np.ndarray:
    """Return M_i, the stigmators' response in the frame at one magnification (nm per unit)."""
    return mag.stig_gain * rotation(2.0 * mag.rotation_deg) @ stigmators.matrix()


def tilt_terms(tilt_mrad: tuple[float, float], cs_mm: float) -> tuple[np.ndarray, float]:
    """Return the astigmatism vector and defocus (nm) a beam tilt induces through Cs."""
    tau = np.asarray(tilt_mrad) * 1e-3
    size_nm = 2.0 * cs_mm * 1e6 * float(tau @ tau)
    angle_deg = float(np.degrees(np.arctan2(tau[1], tau[0])))
    return -size_nm * unit_vector(2.0 * angle_deg), -size_nm


def evaluate(state: LensState) -> OpticsTruth:
    """Return the true astigmatism vector and defocus for a lens state."""
    turn = rotation(2.0 * state.mag.rotation_deg)
    slope = turn @ state.lens.slope_vec
    lens_terms = state.lens.astig_vec_nm + np.asarray(state.probe_astig_vec_nm)
    lens_frame = turn @ lens_terms + slope * (state.defocus_lens_nm - REFERENCE_DEFOCUS_NM)
    response = stigmator_response(state.stigmators, state.mag)
    tilt_vec, tilt_defocus = tilt_terms(state.tilt_mrad, state.cs_mm)
    parts = {
        "lens": lens_frame,
        "stigmators": response @ np.asarray(state.stig),
        "magnification": np.asarray(state.mag.astig_vec_nm),
        "beam_tilt": tilt_vec,
        "extra": np.asarray(state.extra_astig_vec_nm),
    }
    defocus = state.defocus_lens_nm + state.mag.defocus_offset_nm + state.stage_z_nm + tilt_defocus
    return OpticsTruth(
        astig_vec_nm=sum(parts.values()),
        defocus_nm=float(defocus),
        response_nm=response,
        lens_frame_vec_nm=lens_frame,
        slope_frame_vec=slope,
        parts=parts,
    )
