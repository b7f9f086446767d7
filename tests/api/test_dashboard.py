"""The dashboard page, its Plotly, and the spectrum PNG of the newest fitted frame."""

from __future__ import annotations

import io

import matplotlib.image
import pytest

from tests.api.test_fit import raw_headers


def upload(client, reader, frame, scope_id: str | None = "sim") -> int:
    params = {"pixel_size_A": 1.0} | ({"scope_id": scope_id} if scope_id else OPTICS)
    response = client.post(
        "/api/v1/fit", params=params, content=frame.tobytes(), headers=raw_headers(frame, reader)
    )
    assert response.status_code == 200, response.text
    return response.json()["measurement_id"]


OPTICS = {"kv": 300, "cs_mm": 2.7}


def test_the_root_serves_the_dashboard_and_its_modules(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/dashboard/js/main.js">' in page.text
    module = client.get("/dashboard/js/main.js")
    assert module.status_code == 200 and "javascript" in module.headers["content-type"]
    assert client.get("/dashboard/js/nothing.js").status_code == 404


def test_plotly_comes_from_the_installed_python_package(client):
    answer = client.get("/dashboard/vendor/plotly.min.js")
    assert answer.status_code == 200 and "javascript" in answer.headers["content-type"]
    assert "plotly.js v" in answer.text[:500]


def test_no_spectrum_before_a_frame_is_fitted(client, reader):
    info = client.get("/api/v1/scopes/sim/spectrum", headers=reader)
    assert info.json() == {"scope_id": "sim", "measurement_id": None, "kept_at": None}
    png = client.get("/api/v1/scopes/sim/spectrum.png", headers=reader)
    assert png.status_code == 404 and "no frame" in png.json()["detail"]


def test_the_spectrum_png_shows_the_newest_fitted_frame_of_the_scope(client, reader, carbon_frame):
    upload(client, reader, carbon_frame, scope_id=None)  # no scope: nothing kept
    assert (
        client.get("/api/v1/scopes/sim/spectrum", headers=reader).json()["measurement_id"] is None
    )
    measurement_id = upload(client, reader, carbon_frame)
    info = client.get("/api/v1/scopes/sim/spectrum", headers=reader).json()
    assert info["measurement_id"] == measurement_id and info["kept_at"]
    png = client.get("/api/v1/scopes/sim/spectrum.png", headers=reader)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["x-measurement-id"] == str(measurement_id)
    image = matplotlib.image.imread(io.BytesIO(png.content), format="png")
    assert image.shape[0] >= 400 and image.shape[1] >= 400
    orange = (image[..., 0] > 0.9) & (image[..., 1] > 0.4) & (image[..., 1] < 0.6)
    assert orange.sum() > 500  # the fitted zero rings are drawn


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/scopes/nowhere/spectrum", 404),
        ("/api/v1/scopes/nowhere/spectrum.png", 404),
    ],
)
def test_spectrum_of_an_unknown_scope_is_404(client, reader, path, status):
    assert client.get(path, headers=reader).status_code == status


@pytest.mark.parametrize("path", ["/api/v1/scopes/sim/spectrum", "/api/v1/scopes/sim/spectrum.png"])
def test_the_spectrum_needs_a_key(client, path):
    assert client.get(path).status_code == 401


def test_the_new_reads_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/scopes/{scope_id}/lens-sweeps/latest",
        "/api/v1/alerts",
        "/api/v1/scopes/{scope_id}/spectrum",
        "/api/v1/scopes/{scope_id}/spectrum.png",
    ):
        assert paths[path]["get"]["description"] or paths[path]["get"]["summary"]
    assert (
        "image/png"
        in paths["/api/v1/scopes/{scope_id}/spectrum.png"]["get"]["responses"]["200"]["content"]
    )
