"""What the built package carries beside its modules: the client's PEP 561 marker."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_the_client_is_marked_typed_and_the_marker_is_package_data():
    assert files("astigd.client").joinpath("py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = [
        path
        for pattern in data["package-data"]["astigd"]
        for path in (ROOT / "astigd").glob(pattern)
    ]
    assert ROOT / "astigd" / "client" / "py.typed" in shipped
