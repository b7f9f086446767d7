"""Database fixtures: SQLite files by default; a fresh PostgreSQL database per session when
ASTIGD_TEST_DATABASE_URL names a server (e.g. postgresql+psycopg://root@127.0.0.1:5432/test).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from astigd.app.db import migrate
from astigd.app.db.engine import make_engine, make_session_factory
from astigd.app.db.models import Base

TEST_DATABASE_ENV = "ASTIGD_TEST_DATABASE_URL"


def on_postgresql() -> bool:
    """Return whether the tests run against a PostgreSQL server."""
    return bool(os.environ.get(TEST_DATABASE_ENV))


@contextmanager
def fresh_database(folder: Path, label: str) -> Iterator[str]:
    """Yield the URL of a new, empty database; a PostgreSQL one is dropped afterwards."""
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        yield f"sqlite:///{folder / f'{label}.sqlite'}"
        return
    name = f"astigd_test_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table, children first."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, shared by the session (tables emptied before each test)."""
    with fresh_database(tmp_path_factory.mktemp("db"), "session") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def database_engine(database_url: str) -> Iterator[Engine]:
    """The test session's engine on the shared database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_url(database_url: str, database_engine: Engine) -> str:
    """The shared database's URL, with every table emptied first."""
    empty_tables(database_engine)
    return database_url


@pytest.fixture
def session(db_url: str, database_engine: Engine) -> Iterator[Session]:
    """A session on the emptied shared database."""
    with make_session_factory(database_engine)() as session:
        yield session
