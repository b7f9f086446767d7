"""Where the extension values live on a temscript microscope: TEM Scripting, or in memory.

temscript's ``Microscope.get_defocus`` reads ``Projection.Focus``, which is in arbitrary units
on most scopes, and temscript has no call for the rotation centre. TEM Scripting itself has
both: ``Projection.Defocus`` (m, relative to the eucentric focus that ``ResetDefocus`` sets,
overfocus positive) and ``Illumination.RotationCenter`` (the beam-tilt alignment, rad). temscript's
``Microscope`` keeps those COM objects as ``_tem_projection`` and ``_tem_illumination``.
``NullMicroscope`` has neither: its defocus value stands for metres and the rotation centre is
kept in memory, as it keeps every other setting.
"""

from __future__ import annotations

from typing import Any, Protocol

MRAD_PER_RAD = 1e3


class LensAccess(Protocol):
    """Defocus (m, overfocus positive) and the rotation centre (mrad) of one microscope."""

    def get_defocus_m(self, microscope: Any) -> float:
        """Return defocus relative to eucentric focus, m."""

    def set_defocus_m(self, microscope: Any, value: float) -> None:
        """Set defocus relative to eucentric focus, m."""

    def get_rotation_center_mrad(self, microscope: Any) -> list[float]:
        """Return the rotation centre [x, y], mrad."""

    def set_rotation_center_mrad(self, microscope: Any, value: list[float]) -> None:
        """Set the rotation centre [x, y], mrad."""


class ScriptingLens:
    """TEM Scripting's Projection.Defocus and Illumination.RotationCenter (temscript's COM)."""

    def get_defocus_m(self, microscope: Any) -> float:
        """Return Projection.Defocus, m."""
        return float(microscope._tem_projection.Defocus)

    def set_defocus_m(self, microscope: Any, value: float) -> None:
        """Set Projection.Defocus, m."""
        microscope._tem_projection.Defocus = float(value)

    def get_rotation_center_mrad(self, microscope: Any) -> list[float]:
        """Return Illumination.RotationCenter converted from rad to mrad."""
        x, y = microscope._tem_illumination.RotationCenter
        return [x * MRAD_PER_RAD, y * MRAD_PER_RAD]

    def set_rotation_center_mrad(self, microscope: Any, value: list[float]) -> None:
        """Set Illumination.RotationCenter from mrad."""
        microscope._tem_illumination.RotationCenter = [v / MRAD_PER_RAD for v in value]


class MemoryLens:
    """NullMicroscope: its own defocus value (m), and a rotation centre held here."""

    def __init__(self) -> None:
        self._rotation_center_mrad = [0.0, 0.0]

    def get_defocus_m(self, microscope: Any) -> float:
        """Return the NullMicroscope's defocus, m."""
        return float(microscope.get_defocus())

    def set_defocus_m(self, microscope: Any, value: float) -> None:
        """Set the NullMicroscope's defocus, m."""
        microscope.set_defocus(float(value))

    def get_rotation_center_mrad(self, microscope: Any) -> list[float]:
        """Return the remembered rotation centre, mrad."""
        return list(self._rotation_center_mrad)

    def set_rotation_center_mrad(self, microscope: Any, value: list[float]) -> None:
        """Remember the rotation centre, mrad."""
        self._rotation_center_mrad = [float(v) for v in value]


def lens_access(microscope: Any) -> LensAccess:
    """Return the access for this microscope: TEM Scripting when it has the COM objects."""
    if hasattr(microscope, "_tem_projection") and hasattr(microscope, "_tem_illumination"):
        return ScriptingLens()
    return MemoryLens()
