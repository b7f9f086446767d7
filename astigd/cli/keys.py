"""`astigd keys`: create, list and revoke API keys (stored hashed; a key is shown once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    """Yield a session on the configured database, migrated to the newest revision first."""
    from astigd.app.core.config import Settings
    from astigd.app.db import migrate
    from astigd.app.db.engine import make_engine, make_session_factory

    url = Settings().database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@app.command("create")
def create(
    scope: Annotated[
        list[str], typer.Option("--scope", help="read, control or admin; repeat for several.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="Who or what the key is for.")] = None,
) -> None:
    """Create a key and print it as the last line (it is not stored and cannot be shown again)."""
    from astigd.app.db.keys import create_key

    with _session() as session:
        try:
            key = create_key(session, scope, name)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--scope") from None
    typer.echo(f"created a key with scopes {', '.join(scope)}; store it now, it is shown once:")
    typer.echo(key)


@app.command("list")
def list_keys() -> None:
    """List keys: prefix, scopes, name, created and revoked times."""
    from astigd.app.db.keys import list_keys as stored_keys

    with _session() as session:
        keys = stored_keys(session)
    typer.echo(f"{'PREFIX':<10} {'SCOPES':<20} {'CREATED':<26} {'REVOKED':<26} NAME")
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
        created = key.created_at.isoformat(timespec="seconds")
        scopes = ",".join(key.scopes)
        typer.echo(f"{key.prefix:<10} {scopes:<20} {created:<26} {revoked:<26} {key.name or ''}")


@app.command("revoke")
def revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (see `keys list`).")],
) -> None:
    """Revoke the key with PREFIX; it stops working at once."""
    from astigd.app.db.keys import revoke_key

    with _session() as session:
        key = revoke_key(session, prefix.strip())
    if key is None:
        typer.echo(f"astigd keys: no key with prefix {prefix!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key.prefix} ({key.name or 'unnamed'})")
