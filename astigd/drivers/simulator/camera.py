"""The simulated camera: temscript-style parameters, and frames rendered from the true optics."""

from __future__ import annotations

from typing import Any

import numpy as np

from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.drivers.simulator.magnifications import Magnification
from astigd.drivers.simulator.optics_model import OpticsTruth
from astigd.drivers.simulator.seeding import rng_for
from astigd.drivers.simulator.vendor_errors import OutOfRangeError
from astigd.workers.astigmatism import astig_from_vector
from astigd.workers.ctf import Optics

IMAGE_SIZES = {"FULL": 1, "HALF": 2, "QUARTER": 4}


class Camera:
    """A 4096² counting camera read out as a centred crop of at most `frame_px`."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config, self.spec = config, config.camera
        self._rng = rng_for(config.seed, "camera")
        self.beam_fraction = 1.0  # of the nominal dose rate; an injected "dim_beam" lowers it
        self.params: dict[str, Any] = {
            "image_size": "FULL",
            "binning": 1,
            "exposure(s)": self.spec.default_exposure_s,
            "correction": "DEFAULT",
            "exposure_mode": "NONE",
            "shutter_mode": "POST_SPECIMEN",
            "pre_exposure(s)": 0.0,
            "pre_exposure_pause(s)": 0.0,
        }

    def info(self) -> dict[str, Any]:
        """Return the camera's entry for temscript's /v1/cameras."""
        return {
            "type": "CAMERA",
            "width": self.spec.sensor_px,
            "height": self.spec.sensor_px,
            "pixel_size(um)": self.spec.sensor_pixel_um,
            "binnings": list(self.spec.binnings),
            "shutter_modes": ["POST_SPECIMEN"],
            "pre_exposure_limits(s)": [0.0, 0.0],
            "pre_exposure_pause_limits(s)": [0.0, 0.0],
        }

    def set_params(self, values: dict[str, Any], ignore_errors: bool = False) -> None:
        """Update parameters; a bad value raises unless errors are ignored."""
        for key, value in values.items():
            try:
                self.params[key] = self._checked(key, value)
            except OutOfRangeError:
                if not ignore_errors:
                    raise

    def _checked(self, key: str, value: Any) -> Any:
        """Return a validated parameter value."""
        if key == "binning" and value in self.spec.binnings:
            return int(value)
        if key == "image_size" and value in IMAGE_SIZES:
            return value
        if key == "exposure(s)" and isinstance(value, int | float) and 0 < value <= 60:
            return float(value)
        if key in self.params and key not in ("binning", "image_size", "exposure(s)"):
            return value
        raise OutOfRangeError(f"camera parameter {key}={value!r} is not supported")

    def frame_px(self) -> int:
        """Return the side of the frames the current parameters read out."""
        divisor = self.params["binning"] * IMAGE_SIZES[self.params["image_size"]]
        return min(self.spec.sensor_px // divisor, self.spec.frame_px)

    def exposure(self, truth: OpticsTruth, mag: Magnification) -> Exposure:
        """Return what one frame sees with the current parameters and true optics."""
        config = self.config
        pixel_A = mag.true_pixel_size_A * self.params["binning"]
        optics = Optics(pixel_A, config.kv, config.cs_mm, config.amplitude_contrast)
        astig_nm, angle_deg = astig_from_vector(*truth.astig_vec_nm)
        dose = self.beam_fraction * self.spec.dose_rate_e_per_A2_s * self.params["exposure(s)"]
        shift_px = mag.aniso.matrix() @ truth.tilt_shift_nm * 10.0 / pixel_A
        return Exposure(optics, truth.defocus_nm, astig_nm, angle_deg, dose, mag.aniso,
                        shift_px=(float(shift_px[0]), float(shift_px[1])))  # fmt: skip

    def next_seed(self) -> int:
        """Return the seed of the next frame's noise (call under the scope's lock)."""
        return int(self._rng.integers(2**63))

    def area_seed(self, stage: dict[str, float]) -> int | None:
        """Return the seed of the specimen area under the beam; None draws a fresh one per frame."""
        if self.config.specimen_area == "fresh":
            return None
        x_nm, y_nm = (round(1e9 * stage[axis]) for axis in ("x", "y"))
        return int(rng_for(self.config.seed, "area", x_nm % 2**32, y_nm % 2**32).integers(2**63))

    def expose(
        self,
        exposure: Exposure,
        side: int,
        seed: int,
        specimen: str | None = None,
        area: int | None = None,
    ) -> np.ndarray:
        """Return one frame in counts (int32); specimen "none" means no beam at all."""
        if specimen == "none":
            return np.zeros((side, side), dtype=np.int32)
        name = specimen or self.config.specimen
        return synthesize_frame(exposure, (side, side), name, seed, area).astype(np.int32)
