"""Scope settings astigd does not model physically but temscript clients read and write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from astigd.drivers.simulator.vendor_errors import OutOfRangeError


def _pair(value: Any) -> tuple[float, float]:
    """Return a float (x, y) pair."""
    x, y = value
    return float(x), float(y)


def _choice(*allowed: str) -> Callable[[Any], str]:
    """Return a parser accepting one of the allowed names."""

    def parse(value: Any) -> str:
        if str(value) not in allowed:
            raise OutOfRangeError(f"{value!r} is not one of {allowed}")
        return str(value)

    return parse


def _spot_size(value: Any) -> int:
    """Return a spot size index in 1..11."""
    if int(value) != value or not 1 <= int(value) <= 11:
        raise OutOfRangeError(f"spot size index {value} is outside 1..11")
    return int(value)


# name: (parser, initial value); names and values as temscript's microscope methods use them
SETTINGS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "image_shift": (_pair, (0.0, 0.0)),
    "beam_shift": (_pair, (0.0, 0.0)),
    "diffraction_shift": (_pair, (0.0, 0.0)),
    "condenser_stigmator": (_pair, (0.0, 0.0)),
    "intensity": (float, 0.4),
    "spot_size_index": (_spot_size, 5),
    "screen_position": (_choice("UP", "DOWN"), "UP"),
    "projection_mode": (_choice("IMAGING"), "IMAGING"),
    "instrument_mode": (_choice("TEM"), "TEM"),
    "dark_field_mode": (_choice("OFF", "CARTESIAN", "CONICAL"), "OFF"),
    "condenser_mode": (_choice("PARALLEL", "PROBE"), "PARALLEL"),
    "illuminated_area": (float, 1.5e-6),
    "probe_defocus": (float, 0.0),
    "convergence_angle": (float, 1e-5),
    "stem_magnification": (float, 100_000.0),
    "stem_rotation": (float, 0.0),
    "beam_blanked": (bool, False),
    "column_valves_open": (bool, True),
}


class Console:
    """The stored settings, validated on the way in."""

    def __init__(self) -> None:
        self._values = {name: initial for name, (_, initial) in SETTINGS.items()}

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def get(self, name: str) -> Any:
        """Return a setting."""
        return self._values[name]

    def set(self, name: str, value: Any) -> None:
        """Validate and store a setting."""
        parse = SETTINGS[name][0]
        try:
            self._values[name] = parse(value)
        except (TypeError, ValueError) as exc:
            raise OutOfRangeError(f"bad value for {name}: {value!r} ({exc})") from None
