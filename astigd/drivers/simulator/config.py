"""Settings of the simulated scope: seed, date, optics, camera, timing and lens statistics."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from astigd.drivers.simulator.faults import FaultSpec


def today_utc() -> dt.date:
    """Return today's date in UTC."""
    return dt.datetime.now(dt.UTC).date()


class LensStatistics(BaseModel):
    """Ranges the seeded RNG draws one simulated objective lens and its stigmators from."""

    model_config = ConfigDict(frozen=True)

    slope_nm_per_um: tuple[float, float] = (10.0, 40.0)  # |K|, uniform
    lens_astig_nm: tuple[float, float] = (100.0, 500.0)  # |A_lens| at the reference defocus
    stig_gain_um_per_unit: tuple[float, float] = (1.0, 3.0)  # per stigmator
    stig_skew_sd_deg: float = 2.0  # deviation of MY from 45° to MX, physical angle
    stig_skew_deg: float = 0.0  # a systematic deviation (a faulty stigmator); −45: parallel
    daily_slope_fraction: float = 0.15  # slow |K| swing from day to day
    daily_slope_axis_deg: float = 4.0  # slow swing of the lens axis
    daily_astig_nm: float = 60.0  # slow swing of the lens's own astigmatism
    daily_jitter_fraction: float = 0.03  # day-to-day noise on K
    daily_jitter_nm: float = 15.0  # day-to-day noise on A_lens
    mag_astig_nm: float = 25.0  # reproducible, non-linear magnification term
    mag_revisit_sd_nm: float = 10.0  # non-reproducible term, fresh on every magnification change
    mag_defocus_nm: float = 300.0  # reproducible defocus offsets between magnifications
    mag_rotation_sd_deg: float = 3.0  # image rotation between magnifications
    mag_gain_sd: float = 0.03  # stigmator gain change between magnifications
    aniso_percent: tuple[float, float] = (0.5, 1.5)  # anisotropic magnification, uniform
    pixel_size_sd: float = 0.005  # true pixel size vs the nominal table entry
    probe_astig_nm: float = 10.0  # offset between microprobe and nanoprobe
    coma_free_axis_sd_mrad: float = 0.3  # where the true axis is relative to tilt (0, 0)
    tilt_coil_gain_sd: float = 0.03  # true mrad per reported mrad of the beam-tilt coils, −1
    tilt_pivot_nm_per_mrad: float = 0.2  # pivot-point error: image shift per mrad at any focus
    session_drift_nm_per_hour: float = 3.0  # slow drift of A_lens during a session


class Timing(BaseModel):
    """Settle times in simulated seconds; real waits are these times the time-scale factor."""

    model_config = ConfigDict(frozen=True)

    time_scale: float = Field(1.0, ge=0.0)  # 0 makes every wait instant (tests)
    stigmator_settle_s: float = 0.1  # exponential time constant
    defocus_settle_s: float = 0.2  # exponential time constant
    normalize_s: float = 0.5  # a magnification change normalizes the lenses (busy)

    def real_s(self, simulated_s: float) -> float:
        """Return the real duration of a simulated one."""
        return simulated_s * self.time_scale


class CameraConfig(BaseModel):
    """The simulated camera: a 4096² sensor read out as a centred crop of at most `frame_px`."""

    model_config = ConfigDict(frozen=True)

    name: str = "BM-Ceta"  # as ThermoConfig's default camera
    sensor_px: int = 4096
    sensor_pixel_um: float = 14.0
    frame_px: int = Field(1024, ge=64)
    binnings: tuple[int, ...] = (1, 2, 4, 8)
    dose_rate_e_per_A2_s: float = 20.0  # at the specimen
    default_exposure_s: float = 1.0


class SimulatorConfig(BaseModel):
    """Everything that defines one simulated scope; the same config and seed give the same scope."""

    model_config = ConfigDict(frozen=True)

    seed: int = Field(0, ge=0)
    date: dt.date = Field(default_factory=today_utc)
    kv: float = 300.0
    cs_mm: float = 2.7
    amplitude_contrast: float = 0.07
    microscope_id: str = "astigd-sim"
    specimen: str = "carbon"
    # "fresh": every exposure shows a new specimen area (independent frames, the default);
    # "fixed": the area under the beam stays put until the stage moves (needed for BTID).
    specimen_area: Literal["fresh", "fixed"] = "fresh"
    lens: LensStatistics = LensStatistics()
    timing: Timing = Timing()
    camera: CameraConfig = CameraConfig()
    faults: tuple[FaultSpec, ...] = ()
    stig_limit: float = 1.0  # |stig| beyond this is out of range
    defocus_limit_um: float = 50.0  # |defocus| beyond this is out of range
