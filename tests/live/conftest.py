"""Live tests: the API fixtures, a 1024² synthesized frame, and calibration rows via the store."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from astigd.app.db.base import utc_now
from astigd.app.procedures.store import DbCalibrationStore
from astigd.drivers.records import Illumination, MagEntry, OpticsSnapshot, ScopeIdentity
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics
from tests.api.conftest import app, settings  # noqa: F401

MAG_INDEX = 5
HEADER = {"dtype": "uint16", "shape": [1024, 1024], "pixel_size_A": 1.0, "kv": 300, "cs_mm": 2.7}


@pytest.fixture(scope="session")
def live_frame() -> np.ndarray:
    """The brief's frame: 2000 nm defocus, 100 nm astigmatism at 30°, as uint16 counts."""
    frame = synthesize_frame(Exposure(Optics(1.0), 2000, 100, 30), (1024, 1024), rng=1)
    return np.rint(frame).astype(np.uint16)


def send_frame(ws, seq: int, frame: np.ndarray, **extra) -> None:
    ws.send_text(json.dumps({**HEADER, "seq": seq, **extra}))
    ws.send_bytes(frame.tobytes())


def snapshot(mag_index: int = MAG_INDEX, ht_kv: float = 300.0, light=None):
    light = light or Illumination()
    mag = MagEntry(mag_index, 50000.0, 1.0)
    identity = ScopeIdentity("simulated", "sim")
    return OpticsSnapshot(identity, ht_kv, light, mag, 0.0, 0.0, 2000.0, (0.0, 0.0), utc_now())


def save_calibration(service, kind: str, record: dict, **where) -> int:
    """Store a calibration row the way the procedures do (DbCalibrationStore)."""
    store = DbCalibrationStore(service.state.sessions, "sim")
    return asyncio.run(store.save(kind, snapshot(**where), record))


MATRIX = [[80.0, -10.0], [12.0, 90.0]]
SLOPE = (6.0, -8.0)  # nm/µm: k_obj 10 nm/µm


def save_response(service, **where) -> int:
    record = {"matrix_nm_per_unit": MATRIX, "residual_rms_nm": 1.0, "n_probes": 5}
    return save_calibration(service, "stigmator_response", record, **where)


def save_sweep(service, measurement_id: int | None, **where) -> int:
    """A sweep with one point whose measurement recorded the stigmators it was taken at."""
    record = {
        "k_obj_nm_per_um": 10.0, "k_obj_se_nm_per_um": 0.5, "angle_deg": -26.565,
        "angle_se_deg": 1.0, "slope_nm_per_um": list(SLOPE), "r_squared": 0.98,
        "reference_defocus_nm": 1500.0, "astig_ref_nm": [4.0, -2.0], "n_points": 9,
        "defocus_min_nm": 500.0, "defocus_max_nm": 3500.0,
        "points": [{"defocus_nm": 1500.0, "astig_x_nm": 4.0, "astig_y_nm": -2.0,
                    "measurement_id": measurement_id}],
    }  # fmt: skip
    return save_calibration(service, "lens_sweep", record, **where)
