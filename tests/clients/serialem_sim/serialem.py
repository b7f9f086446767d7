"""A `serialem` module for the examples' tests, backed by the simulated scope over the network.

It speaks to `astigd simulator serve` (SIMULATED_SCOPE_URL) the way SerialEM speaks to a Thermo
scope: stigmators through temscript's `/v1/objective_stigmator`, defocus through
`/v1/astigd/defocus_m`, frames through `/v1/acquire`. Every call really moves or reads the
simulator. Units follow SerialEM: defocus in µm (negative is underfocus), pixel size in nm.
Each Record appends the simulator's ground truth at exposure time to SERIALEM_SIM_LOG.
"""

from __future__ import annotations

import json
import os

import httpx
import numpy as np
from temscript import RemoteMicroscope

CAMERA = "BM-Ceta"
RECORD_EXPOSURE_S = 4.0
_URL = os.environ["SIMULATED_SCOPE_URL"].rstrip("/")
_host, _port = _URL.split("//")[1].split(":")
_scope = RemoteMicroscope((_host, int(_port)), timeout=120)
_buffers: dict[str, np.ndarray] = {}


def ReportObjectiveStigmator() -> tuple[float, float]:
    """Return the objective stigmator (x, y), normalized −1..1."""
    x, y = _scope.get_objective_stigmator()
    return float(x), float(y)


def SetObjectiveStigmator(x: float, y: float) -> None:
    """Set the objective stigmator."""
    _scope.set_objective_stigmator((float(x), float(y)))


def ReportDefocus() -> float:
    """Return the defocus in µm, negative underfocus."""
    return 1e6 * float(httpx.get(f"{_URL}/v1/astigd/defocus_m").json())


def SetDefocus(defocus_um: float) -> None:
    """Set the defocus in µm, negative underfocus."""
    httpx.put(f"{_URL}/v1/astigd/defocus_m", json=1e-6 * float(defocus_um)).raise_for_status()


def ReportMagIndex() -> tuple[int, int]:
    """Return the magnification index and whether it is in LM (0 here)."""
    return int(_scope.get_magnification_index()), 0


def Record() -> None:
    """Take a Record exposure into buffer A, and log the simulator's truth at that moment."""
    _scope.set_camera_param(CAMERA, {"exposure(s)": RECORD_EXPOSURE_S, "binning": 1})
    truth = httpx.get(f"{_URL}/v1/astigd/sim/truth").json()
    _buffers["A"] = np.asarray(_scope.acquire(CAMERA)[CAMERA])
    with open(os.environ["SERIALEM_SIM_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(truth) + "\n")


def bufferImage(buffer: str) -> np.ndarray:
    """Return the image in a buffer."""
    return _buffers[buffer]


def ImageProperties(buffer: str) -> tuple[int, int, int, float, float, int]:
    """Return width, height, binning, exposure (s), pixel size (nm) and a mode of a buffer."""
    height, width = _buffers[buffer].shape
    index = _scope.get_magnification_index()
    table = httpx.get(f"{_URL}/v1/astigd/magnification_table").json()
    pixel_A = next(row["pixel_size_A"] for row in table if row["index"] == index)
    return width, height, 1, RECORD_EXPOSURE_S, pixel_A / 10.0, 0


def Echo(text: str) -> None:
    """Print a line to the log window (stdout)."""
    print(text, flush=True)
