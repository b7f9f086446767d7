"""A magnification index beyond any scope's table is refused, never passed to the database."""

from __future__ import annotations

import pytest

PATHS = [
    "lens-history",
    "calibrations/btid",
    "calibrations/magnification",
    "calibrations/pixel-size-checks",
    "lens-sweeps/latest",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_huge_mag_index_is_a_422_naming_the_parameter(client, reader, path):
    response = client.get(f"/api/v1/scopes/sim/{path}?mag_index=3000000000", headers=reader)
    assert response.status_code == 422, response.text
    assert "mag_index" in response.text


@pytest.mark.parametrize("path", PATHS)
def test_the_largest_mag_index_is_asked_of_the_database(client, reader, path):
    response = client.get(f"/api/v1/scopes/sim/{path}?mag_index=10000", headers=reader)
    assert response.status_code in (200, 404), response.text
