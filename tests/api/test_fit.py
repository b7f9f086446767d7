"""POST /api/v1/fit recovers a synthetic frame's defocus and astigmatism and stores it."""

from __future__ import annotations

import io

import mrcfile
import numpy as np
import pytest
import tifffile

from tests.api.conftest import OPTICS_QUERY, TRUTH

FIT_FIELDS = {
    "defocus1_nm",
    "defocus2_nm",
    "angle_deg",
    "astig_nm",
    "astig_x_nm",
    "astig_y_nm",
    "astig_uncertainty_nm",
    "defocus_mean_nm",
    "defocus_uncertainty_nm",
    "phase_shift_deg",
    "score",
    "resolution_A",
    "reliable",
    "reason",
    "elapsed_ms",
    "estimator",
    "version",
    "parameters",
}


def raw_headers(frame: np.ndarray, auth: dict[str, str]) -> dict[str, str]:
    shape = ",".join(str(size) for size in frame.shape)
    return {
        **auth,
        "Content-Type": "application/octet-stream",
        "X-Dtype": frame.dtype.name,
        "X-Shape": shape,
    }


def mrc_bytes(frame: np.ndarray) -> bytes:
    stream = io.BytesIO()
    mrc = mrcfile.mrcinterpreter.MrcInterpreter()
    mrc._iostream = stream
    mrc._create_default_attributes()
    mrc.set_data(frame.astype(np.float32))
    mrc.flush()
    return stream.getvalue()


def tiff_bytes(frame: np.ndarray) -> bytes:
    stream = io.BytesIO()
    tifffile.imwrite(stream, frame, photometric="minisblack")
    return stream.getvalue()


def assert_recovered(fit: dict) -> None:
    assert fit["reliable"], fit["reason"]
    assert fit["defocus_mean_nm"] == pytest.approx(TRUTH["defocus_mean_nm"], abs=15)
    assert fit["astig_nm"] == pytest.approx(TRUTH["astig_nm"], abs=8)
    assert fit["angle_deg"] == pytest.approx(TRUTH["angle_deg"], abs=4)
    assert fit["defocus1_nm"] >= fit["defocus2_nm"]


def test_a_raw_upload_is_fitted_and_stored_as_a_measurement(client, reader, carbon_frame):
    response = client.post(
        "/api/v1/fit",
        params=OPTICS_QUERY,
        content=carbon_frame.tobytes(),
        headers=raw_headers(carbon_frame, reader),
    )
    assert response.status_code == 200, response.text
    fit = response.json()
    assert set(fit) >= FIT_FIELDS and "file" not in fit
    assert_recovered(fit)
    assert fit["estimator"] == "astigd-ctf" and fit["parameters"]["optics"]["kv"] == 300
    page = client.get("/api/v1/measurements", headers=reader).json()
    (stored,) = page["items"]
    assert stored["id"] == fit["measurement_id"] and stored["source"] == "upload"
    assert stored["defocus_mean_nm"] == pytest.approx(fit["defocus_mean_nm"])
    assert stored["optics"]["pixel_size_A"] == 1.0 and stored["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("media", "encode"), [("application/x-mrc", mrc_bytes), ("image/tiff", tiff_bytes)]
)
def test_mrc_and_tiff_bodies_are_fitted(client, reader, carbon_frame, media, encode):
    response = client.post(
        "/api/v1/fit",
        params=OPTICS_QUERY,
        content=encode(carbon_frame),
        headers={**reader, "Content-Type": media},
    )
    assert response.status_code == 200, response.text
    assert_recovered(response.json())


def test_dtype_and_shape_may_come_as_query_parameters(client, reader, carbon_frame):
    frame = carbon_frame.astype("<f4")
    params = {**OPTICS_QUERY, "dtype": "<f4", "shape": "[1024, 1024]"}
    response = client.post(
        "/api/v1/fit",
        params=params,
        content=frame.tobytes(),
        headers={**reader, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    assert_recovered(response.json())


def test_a_scope_supplies_optics_and_labels_the_measurement(client, reader, carbon_frame):
    params = {"scope_id": "sim", "pixel_size_A": 1.0}
    response = client.post(
        "/api/v1/fit",
        params=params,
        content=carbon_frame.tobytes(),
        headers=raw_headers(carbon_frame, reader),
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope_id"] == "sim"
    stored = client.get("/api/v1/measurements", params={"scope_id": "sim"}, headers=reader)
    assert stored.json()["total"] == 1
    metrics = client.get("/metrics").text
    assert 'astigd_fit_seconds_count{scope="sim"} 1.0' in metrics
    assert 'astigd_fits_total{reliable="true",scope="sim"} 1.0' in metrics
