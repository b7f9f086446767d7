"""The scope's physics-relevant state: what is set, and how it turns into true optics."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from astigd.drivers.simulator.actuators import Settling, Stigmator
from astigd.drivers.simulator.clock import SimClock
from astigd.drivers.simulator.config import LensStatistics, SimulatorConfig
from astigd.drivers.simulator.lens import LensDay, draw_stigmators, lens_on
from astigd.drivers.simulator.magnifications import DEFAULT_MAG_INDEX, build_table
from astigd.drivers.simulator.optics_model import LensState, OpticsTruth, evaluate
from astigd.drivers.simulator.seeding import rng_for, unit_vector
from astigd.drivers.simulator.vendor_errors import OutOfRangeError

PROBE_MODES = ("MICROPROBE", "NANOPROBE")
ROTATION_CENTER_LIMIT_MRAD = 50.0


class ScopeState:
    """Magnification, focus, stigmators, tilt, probe mode and stage, with their true optics."""

    def __init__(self, config: SimulatorConfig, clock: SimClock) -> None:
        self.config, self.clock = config, clock
        seed, stats, timing = config.seed, config.lens, config.timing
        self.table = build_table(seed, stats)
        self.stigmators = draw_stigmators(seed, stats)
        self.lens: LensDay = lens_on(seed, config.date, stats)
        self.mag_index = DEFAULT_MAG_INDEX
        self.probe_mode = PROBE_MODES[0]
        self.stigmator = Stigmator(timing.real_s(timing.stigmator_settle_s))
        self._defocus_nm = Settling(np.zeros(1), timing.real_s(timing.defocus_settle_s))
        self.rotation_center_mrad = (0.0, 0.0)
        self.df_tilt_rad = (0.0, 0.0)
        self.stage = {"x": 0.0, "y": 0.0, "z": 0.0, "a": 0.0, "b": 0.0}
        self._session = rng_for(seed, "session")
        self._axis_mrad = stats.coma_free_axis_sd_mrad * rng_for(seed, "axis").standard_normal(2)
        self.tilt_coils, self.tilt_pivot = _tilt_coils(seed, stats)
        self._drift_dir = unit_vector(rng_for(seed, "session-drift").uniform(0.0, 360.0))
        self._revisit_nm = np.zeros(2)
        self.steps_nm = np.zeros(2)
        self.height_jump_nm = 0.0  # injected specimen-height jumps, unseen by the stage reading

    def set_date(self, date: dt.date) -> None:
        """Move the scope to another day: the lens drifts to that date's state."""
        self.lens = lens_on(self.config.seed, date, self.config.lens)

    def set_mag_index(self, index: int) -> None:
        """Select a magnification; every change brings a fresh, non-reproducible astigmatism."""
        if index not in self.table:
            raise OutOfRangeError(f"no magnification index {index}; known: {sorted(self.table)}")
        if index != self.mag_index:
            self.redraw_revisit()
        self.mag_index = index

    def redraw_revisit(self) -> None:
        """Re-set the projector lenses: the magnification's astigmatism comes back differently."""
        self._revisit_nm = self.config.lens.mag_revisit_sd_nm * self._session.standard_normal(2)

    def set_defocus_nm(self, defocus_nm: float) -> None:
        """Set the objective defocus (nm, underfocus positive, 0 at eucentric focus)."""
        limit_nm = 1000.0 * self.config.defocus_limit_um
        if not (math.isfinite(defocus_nm) and abs(defocus_nm) <= limit_nm):
            raise OutOfRangeError(f"defocus {defocus_nm} nm is beyond ±{limit_nm} nm")
        self._defocus_nm.set(np.array([defocus_nm]))

    def defocus_nm(self) -> float:
        """Return the defocus the scope reports (the lens's target)."""
        return float(self._defocus_nm.target[0])

    def set_stigmator(self, value: tuple[float, float]) -> None:
        """Command the objective stigmator (normalized units)."""
        self.stigmator.set(_bounded_pair(value, self.config.stig_limit, "objective stigmator"))

    def set_probe_mode(self, mode: str) -> None:
        """Select microprobe or nanoprobe."""
        if mode not in PROBE_MODES:
            raise OutOfRangeError(f"unknown illumination mode {mode!r}; known: {PROBE_MODES}")
        self.probe_mode = mode

    def set_rotation_center(self, value: tuple[float, float]) -> None:
        """Set the beam-tilt rotation centre (mrad)."""
        limit = ROTATION_CENTER_LIMIT_MRAD
        self.rotation_center_mrad = _bounded_pair(value, limit, "rotation centre (mrad)")

    def beam_tilt_mrad(self) -> np.ndarray:
        """Return the beam's tilt off the true coma-free axis."""
        commanded = np.asarray(self.rotation_center_mrad) + 1000.0 * np.asarray(self.df_tilt_rad)
        return commanded - self._axis_mrad

    def extra_astig_nm(self) -> np.ndarray:
        """Return the revisit term, session drift and injected jumps."""
        hours = self.clock.elapsed_s() / 3600.0
        drift = self.config.lens.session_drift_nm_per_hour * hours * self._drift_dir
        return self._revisit_nm + drift + self.steps_nm

    def lens_state(self) -> LensState:
        """Return everything the optics depend on at this instant."""
        probe = 0.0 if self.probe_mode == PROBE_MODES[0] else self.config.lens.probe_astig_nm
        probe_vec = probe * unit_vector(rng_for(self.config.seed, "probe").uniform(0.0, 360.0))
        return LensState(
            lens=self.lens,
            stigmators=self.stigmators,
            mag=self.table[self.mag_index],
            cs_mm=self.config.cs_mm,
            defocus_lens_nm=float(self._defocus_nm.now()[0]),
            stig=self.stigmator.effective(),
            tilt_mrad=tuple(self.beam_tilt_mrad()),
            axis_mrad=tuple(self._axis_mrad),
            stage_z_nm=1e9 * self.stage["z"] + self.height_jump_nm,
            probe_astig_vec_nm=tuple(probe_vec),
            extra_astig_vec_nm=tuple(self.extra_astig_nm()),
            tilt_coils=self.tilt_coils,
            tilt_pivot_nm_per_mrad=self.tilt_pivot,
        )

    def truth(self) -> OpticsTruth:
        """Return the true optics now."""
        return evaluate(self.lens_state())


def _tilt_coils(seed: int, stats: LensStatistics) -> tuple[np.ndarray, np.ndarray]:
    """Return the beam-tilt coils' map to lens axes (gains, axes) and the pivot error P."""
    rng = rng_for(seed, "tilt-coils")
    gains = 1.0 + stats.tilt_coil_gain_sd * rng.standard_normal(2)
    axis_x, skew = rng.uniform(0.0, 360.0), rng.normal(0.0, 1.0)
    axis_y = axis_x + 90.0 + skew
    coils = np.column_stack([gains[0] * unit_vector(axis_x), gains[1] * unit_vector(axis_y)])
    return coils, stats.tilt_pivot_nm_per_mrad * rng.standard_normal((2, 2))


def _bounded_pair(value, limit: float, what: str) -> tuple[float, float]:
    """Return value as a float pair, or raise OutOfRangeError if it is not one within ±limit."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        raise OutOfRangeError(f"{what} must be a pair of numbers, got {value!r}") from None
    if not all(math.isfinite(v) and abs(v) <= limit for v in (x, y)):
        raise OutOfRangeError(f"{what} {value} is beyond ±{limit}")
    return x, y
