"""Fixtures shared by every test folder."""

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings

from astigd.app.db.engine import make_session_factory
from astigd.app.db.keys import create_key
from tests.api.conftest import KEPT_ENV, bearer

pytest_plugins = ["tests.database"]

# CI must not fail on an example no earlier run tried: the same examples run every time.
# Explore new ones with `pytest --hypothesis-profile=explore`.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")


@pytest.fixture
def clean_env(monkeypatch):
    """Drop the developer's ASTIGD_* settings, so only the tests' own apply."""
    for name in list(os.environ):
        if name.startswith("ASTIGD_") and name not in KEPT_ENV:
            monkeypatch.delenv(name)


@pytest.fixture
def keys(database_engine, db_url) -> dict[str, str]:
    """One key per API scope, by scope name."""
    with make_session_factory(database_engine)() as session:
        return {
            scope: create_key(session, [scope], name=f"{scope} tests")
            for scope in ("read", "control", "admin")
        }


@pytest.fixture
def reader(keys) -> dict[str, str]:
    return bearer(keys["read"])


@pytest.fixture
def control(keys) -> dict[str, str]:
    return bearer(keys["control"])


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """A TestClient running the folder's `app` fixture, lifespan included."""
    with TestClient(app) as client:
        yield client
