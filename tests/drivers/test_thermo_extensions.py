"""The extension-endpoint client: exact HTTP requests and the typing of failures."""

from __future__ import annotations

import json

import httpx
import pytest

from astigd.drivers.errors import ScopeBusyError, VendorError
from astigd.drivers.thermo_extensions import HttpExtensions


def client_expecting(exchanges: list[tuple[str, str, object, httpx.Response]]) -> httpx.Client:
    """Return a client whose server expects exactly these (method, path, body, response)."""
    pending = list(exchanges)

    def handle(request: httpx.Request) -> httpx.Response:
        method, path, body, response = pending.pop(0)
        assert (request.method, request.url.path) == (method, path)
        if body is not None:
            assert request.headers["content-type"] == "application/json"
            assert json.loads(request.content) == body
        return response

    return httpx.Client(base_url="http://scope:8080", transport=httpx.MockTransport(handle))


def test_get_and_put_rotation_centre():
    client = client_expecting(
        [
            ("PUT", "/v1/astigd/rotation_center_mrad", [1.5, -0.5], httpx.Response(204)),
            ("GET", "/v1/astigd/rotation_center_mrad", None, httpx.Response(200, json=[1.5, -0.5])),
        ]
    )
    extensions = HttpExtensions("http://scope:8080", 1.0, client=client)
    extensions.put("rotation_center_mrad", [1.5, -0.5])
    assert extensions.get("rotation_center_mrad") == [1.5, -0.5]
    extensions.close()


def test_503_is_busy_and_other_failures_are_vendor_errors():
    client = client_expecting(
        [
            ("GET", "/v1/astigd/defocus_m", None, httpx.Response(503)),
            ("GET", "/v1/astigd/optics", None, httpx.Response(404, text="Unknown endpoint")),
        ]
    )
    extensions = HttpExtensions("http://scope:8080", 1.0, client=client)
    with pytest.raises(ScopeBusyError):
        extensions.get("defocus_m")
    with pytest.raises(VendorError, match="404"):
        extensions.get("optics")
    extensions.close()
