"""Run the packaged Alembic migrations programmatically: upgrade, downgrade, current, head."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

SCRIPT_LOCATION = "astigd:migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(database_url: str | None = None) -> Config:
    """Return an Alembic config for the packaged migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database up to a revision (default: the newest)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Migrate the database down to a revision (`base` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)


@cache
def head_revisions() -> frozenset[str]:
    """Return the newest revision(s) the packaged migrations define."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """Return the revision(s) the database is at (empty before the first migration)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return set()
        return set(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def schema_problem(engine: Engine) -> str | None:
    """Return why the database is not at the newest revision, or None when it is."""
    current, heads = current_revisions(engine), head_revisions()
    if current == heads:
        return None
    if not current:
        return "the database has no schema yet: run `astigd db upgrade`"
    return f"the database is at {sorted(current)}, not at head {sorted(heads)}"
