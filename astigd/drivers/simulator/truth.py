"""The simulator-only truth report: what a perfect measurement of the scope would give now."""

from __future__ import annotations

from typing import Any

import numpy as np

from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.workers.astigmatism import astig_from_vector

TRUTH_NOTE = "simulator only: the ground truth of the simulated scope; real scopes have no such"


def _vector(vec_nm: np.ndarray) -> dict[str, Any]:
    """Return a doubled-angle vector with its magnitude and axis angle."""
    magnitude, angle = astig_from_vector(float(vec_nm[0]), float(vec_nm[1]))
    return {"vec": [float(vec_nm[0]), float(vec_nm[1])], "magnitude": magnitude, "angle_deg": angle}


def truth_report(microscope: SimulatedMicroscope) -> dict[str, Any]:
    """Return the true astigmatism, lens slope K, stigmator response and optics, in house units."""
    state = microscope.state
    with microscope.operation(check_busy=False):
        truth, mag, lens_state = state.truth(), state.table[state.mag_index], state.lens_state()
        date, elapsed_s = state.lens.date, microscope.clock.elapsed_s()
    astig = _vector(truth.astig_vec_nm)
    slope = _vector(1000.0 * truth.slope_frame_vec)
    return {
        "simulator_only": True,
        "note": TRUTH_NOTE,
        "seed": microscope.config.seed,
        "date": date.isoformat(),
        "elapsed_s": elapsed_s,
        "magnification_index": mag.index,
        "astig_vec_nm": astig["vec"],
        "astig_nm": astig["magnitude"],
        "angle_deg": astig["angle_deg"],
        "defocus_nm": truth.defocus_nm,
        "defocus_lens_nm": lens_state.defocus_lens_nm,
        "defocus_offset_nm": mag.defocus_offset_nm,
        "lens_slope_vec_nm_per_um": slope["vec"],
        "lens_slope_nm_per_um": slope["magnitude"],
        "lens_slope_angle_deg": slope["angle_deg"],
        "stigmator_response_nm_per_unit": truth.response_nm.tolist(),  # columns: MX, MY
        "stig_commanded": list(state.stigmator.commanded),
        "stig_effective": list(lens_state.stig),
        "beam_tilt_off_axis_mrad": list(lens_state.tilt_mrad),
        "beam_tilt_image_shift_nm": truth.tilt_shift_nm.tolist(),  # at the specimen, frame axes
        "parts_vec_nm": {name: vec.tolist() for name, vec in truth.parts.items()},
        "pixel_size_A": mag.true_pixel_size_A,
        "aniso": {
            "scale_major": mag.aniso.scale_major,
            "scale_minor": mag.aniso.scale_minor,
            "angle_deg": mag.aniso.angle_deg,
            "anisotropy": mag.aniso.anisotropy,
        },
        "image_rotation_deg": mag.rotation_deg,
        "kv": microscope.config.kv,
        "cs_mm": microscope.config.cs_mm,
        "probe_mode": state.probe_mode,
    }
