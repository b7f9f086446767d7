"""Bad uploads and parameters get a 4xx with a clear JSON reason, never a 500."""

from __future__ import annotations

import numpy as np
import pytest

from tests.api.conftest import OPTICS_QUERY, make_settings

NOISE = np.random.default_rng(3).poisson(20.0, (256, 256)).astype(np.uint16)


def post_raw(client, auth, body: bytes, dtype="uint16", shape="256,256", params=None, **headers):
    headers = {
        **auth,
        "Content-Type": "application/octet-stream",
        "X-Dtype": dtype,
        "X-Shape": shape,
        **headers,
    }
    return client.post("/api/v1/fit", params=params or OPTICS_QUERY, content=body, headers=headers)


def assert_refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert words in str(detail), detail


@pytest.mark.parametrize(
    ("dtype", "shape", "body", "words"),
    [
        ("complex64", "256,256", NOISE.tobytes(), "not a real number type"),
        ("uint17", "256,256", NOISE.tobytes(), "unknown dtype"),
        ("uint16", "256", NOISE.tobytes(), "must be 2 or 3 sizes"),
        ("uint16", "256,255", NOISE.tobytes(), "need 130560"),
        ("uint16", "2,2,2,2", NOISE.tobytes(), "must be 2 or 3 sizes"),
        ("float32", "256,256", np.full((256, 256), np.nan, "f4").tobytes(), "NaN"),
        ("float32", "256,256", np.full((256, 256), 7.0, "f4").tobytes(), "constant"),
        ("uint16", "64,64", NOISE[:64, :64].tobytes(), "smaller than"),
        ("uint16", "256,256", b"", "empty"),
    ],
)
def test_bad_raw_frames_are_refused_with_a_reason(client, reader, dtype, shape, body, words):
    assert_refused(post_raw(client, reader, body, dtype, shape), 422, words)


def test_a_raw_body_without_dtype_or_shape_is_refused(client, reader):
    response = client.post(
        "/api/v1/fit",
        params=OPTICS_QUERY,
        content=NOISE.tobytes(),
        headers={**reader, "Content-Type": "application/octet-stream"},
    )
    assert_refused(response, 422, "needs its dtype and shape")


@pytest.mark.parametrize(
    ("media", "words"),
    [("application/x-mrc", "not a valid MRC"), ("image/tiff", "not a valid TIFF")],
)
def test_corrupt_files_are_refused(client, reader, media, words):
    response = client.post(
        "/api/v1/fit",
        params=OPTICS_QUERY,
        content=b"\0garbage" * 200,
        headers={**reader, "Content-Type": media},
    )
    assert_refused(response, 422, words)


def test_an_unsupported_content_type_is_415(client, reader):
    response = client.post(
        "/api/v1/fit",
        params=OPTICS_QUERY,
        content=b"{}",
        headers={**reader, "Content-Type": "application/json"},
    )
    assert_refused(response, 415, "unsupported Content-Type")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"pixel_size_A": -1, "kv": 300, "cs_mm": 2.7}, "pixel_size_A"),
        ({"pixel_size_A": "nan", "kv": 300, "cs_mm": 2.7}, "pixel_size_A"),
        ({"pixel_size_A": 1, "cs_mm": 2.7}, "are required"),
        ({**OPTICS_QUERY, "aniso": "1.01,1.0"}, "aniso"),
        ({**OPTICS_QUERY, "aniso": "3,1,0"}, "scale_major"),
        ({**OPTICS_QUERY, "min_res_A": 5, "max_res_A": 10}, "max_res_A < min_res_A"),
        ({**OPTICS_QUERY, "min_res_A": 2.5}, "too narrow"),
        ({**OPTICS_QUERY, "scope_id": "sim", "mag_index": 99}, "no magnification 99"),
    ],
)
def test_invalid_parameters_are_422_with_json_detail(client, reader, params, words):
    assert_refused(post_raw(client, reader, NOISE.tobytes(), params=params), 422, words)


def test_an_unknown_scope_is_404(client, reader):
    response = post_raw(client, reader, NOISE.tobytes(), params={**OPTICS_QUERY, "scope_id": "x"})
    assert_refused(response, 404, "unknown scope 'x'")
    assert_refused(client.get("/api/v1/scopes/x", headers=reader), 404, "unknown scope")
    response = client.get("/api/v1/measurements", params={"scope_id": "x"}, headers=reader)
    assert_refused(response, 404, "unknown scope")


def test_an_oversize_body_is_413_at_the_configured_limit(db_url, tmp_path, clean_env, keys):
    from fastapi.testclient import TestClient

    from astigd.app.main import create_app

    settings = make_settings(db_url, tmp_path, limits={"max_upload_bytes": 100_000})
    with TestClient(create_app(settings)) as client:
        auth = {"X-API-Key": keys["read"]}
        response = post_raw(client, auth, NOISE.tobytes())
        assert_refused(response, 413, "exceeds the limit of 100000 bytes")

        def chunks():  # no Content-Length: the limit applies while streaming
            for _ in range(4):
                yield NOISE.tobytes()[:40_000]

        assert_refused(post_raw(client, auth, chunks()), 413, "exceeds the limit")


def test_refused_uploads_store_nothing(client, reader):
    post_raw(client, reader, np.full((256, 256), 7, "u2").tobytes())
    assert client.get("/api/v1/measurements", headers=reader).json()["total"] == 0


def test_bad_query_types_get_clean_validation_errors(client, reader):
    response = client.get("/api/v1/measurements", params={"limit": "many"}, headers=reader)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "limit"] and set(error) == {"loc", "msg", "type"}


@pytest.mark.parametrize("scope_id", ["\x00", "a b", "x" * 65])
def test_malformed_scope_ids_are_422_before_reaching_the_database(client, reader, scope_id):
    response = client.get("/api/v1/measurements", params={"scope_id": scope_id}, headers=reader)
    assert response.status_code == 422
    params = {**OPTICS_QUERY, "scope_id": scope_id}
    assert post_raw(client, reader, NOISE.tobytes(), params=params).status_code == 422


def ringless_frames() -> dict[str, np.ndarray]:
    hot_pixel = np.zeros((256, 256), np.float32)
    hot_pixel[100, 100] = 1e6
    checker = (np.indices((256, 256)).sum(axis=0) % 2).astype(np.float32)
    return {"hot pixel": hot_pixel, "checkerboard": checker}


def test_a_frame_with_no_power_in_the_band_is_422(client, reader):
    corner = np.zeros((256, 256), np.float32)
    corner[0, 0] = 1e6  # the tile taper zeroes it: nothing is left to fit
    response = post_raw(client, reader, corner.tobytes(), corner.dtype.name)
    assert response.status_code == 422, response.text
    assert "no power in the fitting band" in response.text


@pytest.mark.parametrize(("name", "frame"), ringless_frames().items())
def test_frames_without_rings_are_measured_as_unreliable(client, reader, name, frame):
    response = post_raw(client, reader, frame.tobytes(), frame.dtype.name)
    assert response.status_code == 200, response.text
    assert response.json()["reliable"] is False and response.json()["reason"]


def test_values_beyond_float32_are_422(client, reader):
    huge = np.random.default_rng(1).uniform(1e300, 2e300, (256, 256))
    response = post_raw(client, reader, huge.tobytes(), huge.dtype.name)
    assert response.status_code == 422, response.text
    assert "infinite" in response.text
