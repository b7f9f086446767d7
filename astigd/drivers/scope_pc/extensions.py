"""The /v1/astigd/ values on a temscript microscope (table at the top of drivers/thermo.py)."""

from __future__ import annotations

from typing import Any

from astigd.drivers.scope_pc.calls import MicroscopeCalls
from astigd.drivers.scope_pc.lens_access import lens_access
from astigd.drivers.scope_pc.mag_table import MagTable
from astigd.drivers.temscript_server.errors import UnknownNameError


class ScopePcExtensions:
    """Defocus and rotation centre from TEM Scripting; the table from the site's YAML file."""

    def __init__(self, calls: MicroscopeCalls, table: MagTable | None) -> None:
        self.calls, self.table = calls, table
        self.lens = lens_access(calls.microscope)

    def get_defocus_m(self) -> float:
        """Return defocus relative to eucentric focus, m, overfocus positive."""
        return self.calls.run(self.lens.get_defocus_m)

    def set_defocus_m(self, value: float) -> None:
        """Set defocus relative to eucentric focus, m, overfocus positive."""
        self.calls.run(lambda m: self.lens.set_defocus_m(m, value))

    def get_rotation_center_mrad(self) -> list[float]:
        """Return the rotation centre [x, y], mrad."""
        return self.calls.run(self.lens.get_rotation_center_mrad)

    def set_rotation_center_mrad(self, value: list[float]) -> None:
        """Set the rotation centre [x, y], mrad."""
        self.calls.run(lambda m: self.lens.set_rotation_center_mrad(m, value))

    def magnification_table(self) -> list[dict[str, Any]]:
        """Return the table from --mag-table; 404 when none was given."""
        if self.table is None:
            raise UnknownNameError(
                "no magnification table: start `astigd scope-pc serve` with --mag-table FILE"
            )
        return self.table.published()

    def optics(self) -> dict[str, Any]:
        """Return the optics snapshot, read in one turn of the microscope's thread."""
        return self.calls.run(self._optics)

    def _optics(self, microscope: Any) -> dict[str, Any]:
        stig_x, stig_y = microscope.get_objective_stigmator()
        return {
            "ht_kv": float(microscope.get_voltage()),
            "magnification_index": int(microscope.get_magnification_index()),
            "probe_mode": str(microscope.get_illumination_mode()),
            "stig_x": float(stig_x),
            "stig_y": float(stig_y),
            "defocus_m": self.lens.get_defocus_m(microscope),
            "rotation_center_mrad": self.lens.get_rotation_center_mrad(microscope),
        }
