"""The simulated microscope seen through astigd's extension values (/v1/astigd/...)."""

from __future__ import annotations

from typing import Any

from astigd.drivers.simulator.microscope import SimulatedMicroscope


class SimulatedExtensions:
    """Defocus in metres (overfocus positive), rotation centre in mrad, table and optics."""

    def __init__(self, microscope: SimulatedMicroscope) -> None:
        self.m, self.state = microscope, microscope.state

    def get_defocus_m(self) -> float:
        """Return defocus relative to eucentric focus, m, overfocus positive."""
        with self.m.operation():
            return -1e-9 * self.state.defocus_nm()

    def set_defocus_m(self, value: float) -> None:
        """Set defocus relative to eucentric focus, m, overfocus positive."""
        with self.m.operation():
            self.state.set_defocus_nm(-1e9 * value)

    def get_rotation_center_mrad(self) -> list[float]:
        """Return the rotation centre [x, y], mrad."""
        with self.m.operation():
            return list(self.state.rotation_center_mrad)

    def set_rotation_center_mrad(self, value: list[float]) -> None:
        """Set the rotation centre [x, y], mrad."""
        with self.m.operation():
            self.state.set_rotation_center(value)

    def magnification_table(self) -> list[dict[str, Any]]:
        """Return the simulated scope's table (its pixel sizes are the simulation's truth)."""
        return [mag.published() for mag in self.state.table.values()]

    def optics(self) -> dict[str, Any]:
        """Return the optics snapshot in one atomic call."""
        with self.m.operation():
            stig_x, stig_y = self.state.stigmator.commanded
            return {
                "ht_kv": self.m.config.kv,
                "magnification_index": self.state.mag_index,
                "probe_mode": self.state.probe_mode,
                "stig_x": stig_x,
                "stig_y": stig_y,
                "defocus_m": -1e-9 * self.state.defocus_nm(),
                "rotation_center_mrad": list(self.state.rotation_center_mrad),
            }
