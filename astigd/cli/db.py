"""`astigd db`: migrate the database (the same migrations `astigd serve` runs at start-up)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Migrate the database.", no_args_is_help=True)


def _database_url() -> str:
    from astigd.app.core.config import Settings

    return Settings().database_url


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from astigd.app.db import migrate

    migrate.upgrade(_database_url(), revision)
    typer.echo(f"database at {revision}")


@app.command("downgrade")
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; `base` drops every table.")],
) -> None:
    """Migrate the database down to REVISION."""
    from astigd.app.db import migrate

    migrate.downgrade(_database_url(), revision)
    typer.echo(f"database at {revision}")


@app.command("current")
def current() -> None:
    """Print the database's revision, and whether it is the newest."""
    from astigd.app.db import migrate
    from astigd.app.db.engine import make_engine

    engine = make_engine(_database_url())
    try:
        revisions = sorted(migrate.current_revisions(engine))
    finally:
        engine.dispose()
    heads = migrate.head_revisions()
    state = "(head)" if set(revisions) == heads else f"(head is {', '.join(sorted(heads))})"
    typer.echo(f"{', '.join(revisions) or 'none'} {state}")


@app.command("revision", hidden=True)
def revision(
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
    autogenerate: Annotated[bool, typer.Option(help="Compare models with the database.")] = True,
) -> None:
    """Write a new migration script (for developers; compares against ASTIGD_DATABASE__URL)."""
    from alembic import command

    from astigd.app.db.migrate import alembic_config

    command.revision(alembic_config(_database_url()), message=message, autogenerate=autogenerate)
