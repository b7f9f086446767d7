"""Drive a Thermo Fisher (FEI) TEM through temscript, locally (COM) or over its REST server.

Extension endpoints (the contract with astigd's server side)
-------------------------------------------------------------
temscript 2.1 has no endpoint for the rotation centre or the magnification table, and its
``/v1/defocus`` is in arbitrary units on non-Titan software. The server side (the simulated
scope's ``astigd simulator serve``, or ``astigd scope-pc serve`` on the scope PC; both in
``astigd.drivers.temscript_server``) serves these next to temscript's own ``/v1/...`` endpoints,
on the same host and port:

==================================  ======  ===========================  ======================
endpoint                            method  JSON body (PUT) / reply      units
==================================  ======  ===========================  ======================
``/v1/astigd/defocus_m``            GET     ``float``                    m, overfocus > 0 [1]
``/v1/astigd/defocus_m``            PUT     ``float`` -> 204             m, overfocus > 0 [1]
``/v1/astigd/rotation_center_mrad`` GET     ``[x, y]``                   mrad [2]
``/v1/astigd/rotation_center_mrad`` PUT     ``[x, y]`` -> 204            mrad [2]
``/v1/astigd/magnification_table``  GET     ``[MagRow, ...]`` [3]        Å at the specimen
``/v1/astigd/optics``               GET     ``Optics`` [4]               see [4]
==================================  ======  ===========================  ======================

[1] Defocus relative to eucentric focus in metres with temscript's sign (overfocus positive,
    as ``Projection.Defocus``); astigd converts at the boundary: ``defocus_nm = -1e9 * m``
    (underfocus positive, DESIGN.md §2).
[2] The beam-tilt alignment rotation centre, *not* temscript's ``/v1/beam_tilt`` (dark-field
    tilt).
[3] ``MagRow = {"index": int, "magnification": float, "pixel_size_A": float, "mode": str}``;
    ``index`` is temscript's ``magnification_index``; ``pixel_size_A`` is the pixel size at
    the specimen for the configured camera at binning 1; ``mode`` e.g. "LM", "SA", "Mh".
[4] ``Optics = {"ht_kv": float, "magnification_index": int, "probe_mode": "MICROPROBE" |
    "NANOPROBE", "stig_x": float, "stig_y": float, "defocus_m": float,
    "rotation_center_mrad": [x, y]}``; stigmator normalized −1..1, defocus as [1]. One
    round trip for logging; the driver itself reads the single endpoints.

Conventions shared with temscript's own endpoints: JSON (``application/json``); a PUT answers
204; an unknown endpoint answers 404; a scope that is busy (normalizing, exposing) answers
**503** on any endpoint, which the driver retries; any other vendor fault answers 500.
temscript's own endpoints are used as they are: ``/v1/objective_stigmator`` (``[x, y]``,
normalized −1..1), ``/v1/magnification_index``, ``/v1/voltage`` (kV), ``/v1/illumination_mode``,
``/v1/family``, ``/v1/camera_param/<name>`` and ``/v1/acquire?detectors=<name>``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from astigd.drivers.records import Illumination, MagEntry, ScopeIdentity
from astigd.drivers.thermo_extensions import Extensions, UnavailableExtensions, translate

VENDOR = "Thermo Fisher"


@dataclass(frozen=True)
class ThermoConfig:
    """Site settings of a Thermo scope."""

    camera: str = "BM-Ceta"
    defocus_source: Literal["extension", "temscript"] = "extension"
    magnification_table: tuple[MagEntry, ...] = ()  # empty: read /v1/astigd/magnification_table
    model: str | None = None  # empty: temscript's product family


class ThermoUnits:
    """Thermo units: stigmator already normalized, defocus in m (overfocus > 0), tilt in mrad."""

    def stig_from_raw(self, raw: Sequence[float]) -> tuple[float, float]:
        """Return temscript's (x, y) as floats."""
        return float(raw[0]), float(raw[1])

    def stig_to_raw(self, stig: tuple[float, float]) -> list[float]:
        """Return the JSON-friendly [x, y]."""
        return [float(stig[0]), float(stig[1])]

    def defocus_from_raw(self, raw: float, mag_index: int) -> float:
        """Return nm underfocus-positive from metres overfocus-positive."""
        return -float(raw) * 1e9

    def defocus_to_raw(self, defocus_nm: float, mag_index: int, current: Any) -> float:
        """Return metres overfocus-positive from nm underfocus-positive."""
        return -float(defocus_nm) * 1e-9

    def tilt_from_raw(self, raw: Sequence[float]) -> tuple[float, float]:
        """Return the rotation centre in mrad (the extension already speaks mrad)."""
        return float(raw[0]), float(raw[1])

    def tilt_to_raw(self, tilt_mrad: tuple[float, float]) -> list[float]:
        """Return the JSON-friendly [x, y] in mrad."""
        return [float(tilt_mrad[0]), float(tilt_mrad[1])]


class ThermoBackend:
    """Raw temscript calls (any ``BaseMicroscope``) plus astigd's extension endpoints."""

    def __init__(
        self,
        connect: Callable[[], Any],
        extensions: Extensions | None = None,
        config: ThermoConfig | None = None,
    ) -> None:
        """Connect lazily with `connect`, e.g. ``lambda: RemoteMicroscope((host, port))``."""
        self._connect, self._microscope = connect, None
        self._ext = extensions or UnavailableExtensions()
        self.config = config or ThermoConfig()

    def _tem(self, method: str, *args: Any) -> Any:
        """Call a temscript method; after any failure, reconnect on the next call.

        temscript's client raises on a non-2xx status without reading the answer, so its
        keep-alive connection cannot be reused once a call has failed.
        """
        try:
            if self._microscope is None:
                self._microscope = self._connect()
            return getattr(self._microscope, method)(*args)
        except Exception as exc:
            self._drop()
            raise _typed(exc) from exc

    def _extension(self, verb: Literal["get", "put"], name: str, *value: Any) -> Any:
        """Call an extension endpoint with the same error typing."""
        try:
            return getattr(self._ext, verb)(name, *value)
        except Exception as exc:
            raise _typed(exc) from exc

    def _drop(self) -> None:
        """Forget the temscript connection, closing RemoteMicroscope's HTTP connection."""
        connection = getattr(self._microscope, "_conn", None)  # temscript has no close()
        if connection is not None:
            connection.close()
        self._microscope = None

    def identity(self) -> ScopeIdentity:
        """Return vendor and model (temscript's product family unless configured)."""
        return ScopeIdentity(VENDOR, self.config.model or str(self._tem("get_family")))

    def get_ht_kv(self) -> float:
        """Return the high tension in kV."""
        return float(self._tem("get_voltage"))

    def get_illumination(self) -> Illumination:
        """Return the probe mode (MICROPROBE or NANOPROBE)."""
        return Illumination(probe_mode=str(self._tem("get_illumination_mode")))

    def get_stigmator(self) -> Any:
        """Return the objective stigmator (x, y)."""
        return self._tem("get_objective_stigmator")

    def set_stigmator(self, raw: Any) -> None:
        """Set the objective stigmator (x, y)."""
        self._tem("set_objective_stigmator", raw)

    def get_defocus(self) -> float:
        """Return defocus in metres, overfocus positive."""
        if self.config.defocus_source == "temscript":
            return float(self._tem("get_defocus"))
        return float(self._extension("get", "defocus_m"))

    def set_defocus(self, raw: float) -> None:
        """Set defocus in metres, overfocus positive."""
        if self.config.defocus_source == "temscript":
            self._tem("set_defocus", raw)
        else:
            self._extension("put", "defocus_m", raw)

    def get_mag_index(self) -> int:
        """Return temscript's magnification index."""
        return int(self._tem("get_magnification_index"))

    def set_mag_index(self, index: int) -> None:
        """Select a magnification index."""
        self._tem("set_magnification_index", int(index))

    def magnification_table(self) -> Sequence[MagEntry]:
        """Return the configured table, or the server's."""
        if self.config.magnification_table:
            return self.config.magnification_table
        return [_mag_entry(row) for row in self._extension("get", "magnification_table")]

    def get_beam_tilt(self) -> Any:
        """Return the rotation centre [x, y] in mrad."""
        return self._extension("get", "rotation_center_mrad")

    def set_beam_tilt(self, raw: Any) -> None:
        """Set the rotation centre [x, y] in mrad."""
        self._extension("put", "rotation_center_mrad", raw)

    def acquire(self, exposure_s: float, binning: int) -> np.ndarray:
        """Set exposure and binning on the configured camera, expose, return the image."""
        camera = self.config.camera
        self._tem("set_camera_param", camera, {"exposure(s)": exposure_s, "binning": binning})
        return np.asarray(self._tem("acquire", camera)[camera])

    def close(self) -> None:
        """Forget the temscript connection and close the extension client."""
        self._drop()
        self._ext.close()


def _mag_entry(row: dict[str, Any]) -> MagEntry:
    """Return a table row from its JSON form (see the endpoint table above)."""
    return MagEntry(
        int(row["index"]),
        float(row["magnification"]),
        float(row["pixel_size_A"]),
        str(row.get("mode", "")),
    )


def _typed(exc: Exception) -> Exception:
    """Return the typed error, releasing the half-read HTTP answer the frames still hold."""
    traceback.clear_frames(exc.__traceback__)
    return translate(exc)
