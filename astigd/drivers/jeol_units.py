"""JEOL settings and unit conversions: DAC counts to normalized stigmator, nm and mrad."""

from __future__ import annotations

from dataclasses import dataclass

from astigd.drivers.errors import LimitError
from astigd.drivers.records import MagEntry

DAC_MAX = 65535
DAC_NEUTRAL = 32768

Counts = tuple[int, int]


@dataclass(frozen=True)
class FocusRange:
    """Objective-focus calibration for a range of magnification indices (inclusive)."""

    first_index: int
    last_index: int
    nm_per_step: float  # defocus per fine OL step
    reference_steps: int  # OLc * coarse_ratio + OLf at eucentric focus


@dataclass(frozen=True)
class JeolConfig:
    """Site settings of a JEOL scope; calibrations come from the site, not from PyJEM."""

    model: str = "JEM"
    stig_neutral: Counts = (DAC_NEUTRAL, DAC_NEUTRAL)
    stig_span: int = 32767  # counts from neutral to a normalized stigmator of 1
    coarse_ratio: int = 32  # fine OL steps per coarse OL step
    focus_ranges: tuple[FocusRange, ...] = ()
    tilt_neutral: Counts = (DAC_NEUTRAL, DAC_NEUTRAL)  # CLA2 counts at the rotation centre
    tilt_mrad_per_count: float = 0.001
    magnification_table: tuple[MagEntry, ...] = ()
    busy_codes: frozenset[int] = frozenset({1})  # TEM3 status codes meaning "busy"
    disconnected_codes: frozenset[int] = frozenset({2})  # ... meaning "no TEMCenter"


class JeolUnits:
    """Convert JEOL DAC counts to astigd units and back."""

    def __init__(self, config: JeolConfig) -> None:
        """Use the neutrals, spans and focus calibrations of `config`."""
        self.config = config

    def stig_from_raw(self, raw: Counts) -> tuple[float, float]:
        """Return the normalized stigmator for OLs counts."""
        (x, y), (nx, ny), span = raw, self.config.stig_neutral, self.config.stig_span
        return (x - nx) / span, (y - ny) / span

    def stig_to_raw(self, stig: tuple[float, float]) -> Counts:
        """Return OLs counts for a normalized stigmator."""
        span = self.config.stig_span
        nx, ny = self.config.stig_neutral
        return _dac(nx + stig[0] * span), _dac(ny + stig[1] * span)

    def defocus_from_raw(self, raw: Counts, mag_index: int) -> float:
        """Return nm underfocus-positive for (OLc, OLf): a weaker lens is underfocus."""
        focus = self.focus_range(mag_index)
        steps = raw[0] * self.config.coarse_ratio + raw[1]
        return (focus.reference_steps - steps) * focus.nm_per_step

    def defocus_to_raw(self, defocus_nm: float, mag_index: int, current: Counts) -> Counts:
        """Return (OLc, OLf) for a defocus, keeping the current coarse value when possible."""
        focus = self.focus_range(mag_index)
        steps = focus.reference_steps - round(defocus_nm / focus.nm_per_step)
        ratio = self.config.coarse_ratio
        coarse = current[0]
        if not 0 <= steps - coarse * ratio <= DAC_MAX:
            coarse = (steps - DAC_NEUTRAL) // ratio
        return _dac(coarse), _dac(steps - coarse * ratio)

    def tilt_from_raw(self, raw: Counts) -> tuple[float, float]:
        """Return the beam tilt in mrad for CLA2 counts."""
        (x, y), (nx, ny) = raw, self.config.tilt_neutral
        scale = self.config.tilt_mrad_per_count
        return (x - nx) * scale, (y - ny) * scale

    def tilt_to_raw(self, tilt_mrad: tuple[float, float]) -> Counts:
        """Return CLA2 counts for a beam tilt in mrad."""
        (nx, ny), scale = self.config.tilt_neutral, self.config.tilt_mrad_per_count
        return _dac(nx + tilt_mrad[0] / scale), _dac(ny + tilt_mrad[1] / scale)

    def focus_range(self, mag_index: int) -> FocusRange:
        """Return the focus calibration covering a magnification index."""
        for focus in self.config.focus_ranges:
            if focus.first_index <= mag_index <= focus.last_index:
                return focus
        raise LimitError(f"no focus calibration covers magnification index {mag_index}")


def _dac(value: float) -> int:
    """Round to a DAC count, refusing values outside 0..65535."""
    count = round(value)
    if not 0 <= count <= DAC_MAX:
        raise LimitError(f"{value} is outside the DAC range 0..{DAC_MAX}")
    return count
