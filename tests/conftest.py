"""Fixtures shared by every test folder."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

pytest_plugins = ["tests.database"]


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """A TestClient running the folder's `app` fixture, lifespan included."""
    with TestClient(app) as client:
        yield client
