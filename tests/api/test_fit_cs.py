"""The live fit never frees Cs: a frame taken at another Cs is fitted with the nominal Cs.

Pixel size and Cs are degenerate in a CTF fit (DESIGN.md §1): freeing Cs would hide a pixel-size
error, so only check_pixel_size fits it, and never on the live path.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from astigd.app.core.inventory import OpticsDefaults
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics
from astigd.workers.fit import FitSettings
from astigd.workers.geometry import spectrum_geometry
from astigd.workers.refine import PhaseModel
from tests.api.conftest import TRUTH
from tests.api.test_fit import raw_headers

NOMINAL_CS_MM = OpticsDefaults().cs_mm  # the `sim` scope's inventory Cs
TRUE_CS_MM = 6.0


@pytest.fixture(scope="module")
def frame_at_other_cs() -> np.ndarray:
    """A 1024² frame taken on a lens whose Cs is 6.0 mm, not the nominal 2.7 mm."""
    exposure = Exposure(Optics(1.0, 300.0, TRUE_CS_MM), **TRUTH)
    return np.rint(synthesize_frame(exposure, (1024, 1024), rng=11)).astype(np.uint16)


def upload(client, headers, frame: np.ndarray, **optics) -> dict:
    """Fit the frame as the `sim` scope's; return the fit and its stored measurement."""
    params = {"scope_id": "sim", "pixel_size_A": 1.0, **optics}
    response = client.post(
        "/api/v1/fit", params=params, content=frame.tobytes(), headers=raw_headers(frame, headers)
    )
    assert response.status_code == 200, response.text
    fit = response.json()
    page = client.get("/api/v1/measurements", params={"scope_id": "sim"}, headers=headers).json()
    stored = next(row for row in page["items"] if row["id"] == fit["measurement_id"])
    return {**fit, "stored": stored}


def test_a_frame_at_another_cs_is_fitted_and_recorded_with_the_nominal_cs(
    client, reader, frame_at_other_cs
):
    live = upload(client, reader, frame_at_other_cs)
    assert live["reliable"], live["reason"]
    assert live["parameters"]["optics"]["cs_mm"] == NOMINAL_CS_MM
    assert live["stored"]["parameters"]["optics"]["cs_mm"] == NOMINAL_CS_MM
    assert live["stored"]["optics"]["cs_mm"] == NOMINAL_CS_MM

    nominal = upload(client, reader, frame_at_other_cs, cs_mm=NOMINAL_CS_MM)
    for name in ("defocus_mean_nm", "astig_x_nm", "astig_y_nm"):
        assert live[name] == pytest.approx(nominal[name], abs=1e-6)

    # With Cs fixed too low, defocus absorbs ½·ΔCs·λ²·k²: the live fit reads less underfocus
    # than a fit given the true Cs. A Cs-free fit would land on the same defocus either way.
    true = upload(client, reader, frame_at_other_cs, cs_mm=TRUE_CS_MM)
    assert true["defocus_mean_nm"] == pytest.approx(TRUTH["defocus_mean_nm"], abs=15)
    sigma = math.hypot(live["defocus_uncertainty_nm"], true["defocus_uncertainty_nm"])
    assert true["defocus_mean_nm"] - live["defocus_mean_nm"] > max(5.0, 5.0 * sigma)


def test_the_fitter_has_no_cs_parameter() -> None:
    assert not [f.name for f in fields(FitSettings) if "cs" in f.name.lower()]
    optics = Optics(1.0, 300.0, NOMINAL_CS_MM)
    geometry = spectrum_geometry(256, 1.0, 1 / 30.0, 1 / 3.0)
    keep = np.ones(geometry.k2_invA2.shape, dtype=bool)
    model = PhaseModel(geometry, optics, keep)
    assert model.gradient.shape[1] == 3  # mean defocus, astig x, astig y: nothing else is refined
    k2 = geometry.k2_invA2
    cs_term = -0.5 * np.pi * optics.cs_A * optics.wavelength_A**3 * k2**2 + optics.constant_phase
    assert model.offset == pytest.approx(cs_term, rel=1e-5, abs=1e-5)  # Cs sits in the fixed part
