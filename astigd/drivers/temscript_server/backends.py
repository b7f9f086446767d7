"""What a server needs from a scope: temscript's calls, and astigd's extension values."""

from __future__ import annotations

from typing import Any, Protocol


class TemscriptBackend(Protocol):
    """temscript's ``get_<name>``/``set_<name>`` and the calls with their own endpoints."""

    def get(self, name: str) -> Any:
        """Return what temscript's get_<name> returns (``state`` and ``optics_state`` too)."""

    def put(self, name: str, value: Any) -> None:
        """Apply temscript's set_<name>; raise UnknownNameError for an unknown name."""

    def get_camera_param(self, name: str) -> dict[str, Any]:
        """Return a camera's acquisition parameters."""

    def set_camera_param(self, name: str, values: dict[str, Any], ignore_errors: bool) -> None:
        """Set a camera's acquisition parameters."""

    def move_stage(self, pos: dict[str, float], method: str) -> None:
        """Move the named stage axes (GO or MOVE)."""

    def normalize(self, mode: str) -> None:
        """Normalize lenses."""

    def acquire(self, *detectors: str) -> dict[str, Any]:
        """Expose the named detectors; return their images (numpy arrays) by name."""


class ExtensionBackend(Protocol):
    """The values behind /v1/astigd/ (units in the table at the top of drivers/thermo.py)."""

    def get_defocus_m(self) -> float:
        """Return defocus relative to eucentric focus, m, overfocus positive."""

    def set_defocus_m(self, value: float) -> None:
        """Set defocus relative to eucentric focus, m, overfocus positive."""

    def get_rotation_center_mrad(self) -> list[float]:
        """Return the beam-tilt alignment rotation centre [x, y], mrad."""

    def set_rotation_center_mrad(self, value: list[float]) -> None:
        """Set the rotation centre [x, y], mrad."""

    def magnification_table(self) -> list[dict[str, Any]]:
        """Return the magnification rows: index, magnification, pixel_size_A, mode."""

    def optics(self) -> dict[str, Any]:
        """Return the optics snapshot in one call."""
