"""Alembic environment: the URL comes from astigd, never from an ini file.

`astigd.app.db.migrate` passes `database_url` in the config's attributes; without it, the URL
comes from the service settings (ASTIGD_DATABASE__URL, else the SQLite file in the data dir).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from astigd.app.db.models import Base

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    """Return the URL to migrate: the one passed in, else the service settings'."""
    url = config.attributes.get("database_url")
    if url:
        return url
    from astigd.app.core.config import Settings

    return Settings().database_url


def run_on(connection: Connection) -> None:
    """Run the migrations on an open connection (batch mode, so SQLite can alter tables)."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # SQLite rebuilds tables in batch mode; foreign keys must not fire meanwhile
        _pragma(connection, "foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, setting: str) -> None:
    """Set a SQLite pragma outside any transaction (so the migration's own one commits)."""
    connection.exec_driver_sql(f"PRAGMA {setting}")
    connection.commit()


def run_online() -> None:
    """Migrate through a short-lived engine."""
    from astigd.app.db.engine import make_engine

    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            run_on(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    """Emit the migration SQL without a database (`--sql` mode)."""
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
