"""`astigd serve`: migrate the database, then serve the HTTP API and the dashboard."""

from __future__ import annotations

import contextlib
import gc
from typing import Annotated

import typer


def serve_command(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (ASTIGD_SERVER__HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Port to listen on (ASTIGD_SERVER__PORT)."),
    ] = None,
) -> None:
    """Migrate the database, then serve the API until interrupted."""
    import uvicorn

    from astigd.app.core.config import Settings
    from astigd.app.core.inventory import InventoryError
    from astigd.app.core.logging import install_json_handler
    from astigd.app.main import create_app

    settings = Settings()
    updates = {"host": host, "port": port}
    server = settings.server.model_copy(update={k: v for k, v in updates.items() if v is not None})
    settings = settings.model_copy(update={"server": server})
    install_json_handler(settings.log_level)
    try:
        app = create_app(settings)
    except InventoryError as error:
        typer.echo(f"astigd serve: scope inventory: {error}", err=True)
        raise typer.Exit(2) from None
    prepare_database(settings.database_url)
    freeze_startup_objects()
    typer.echo(f"astigd: serving at {dashboard_url(server.host, server.port)}", err=False)
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after shutting down
        uvicorn.run(app, host=server.host, port=server.port, log_config=None, access_log=False)


def freeze_startup_objects() -> None:
    """Keep the objects made at start-up out of the garbage collector's full passes.

    About 190 000 long-lived objects (modules, schemas, the app) made each full collection scan
    them: a 180 ms pause of every request in flight, several times a minute under polling.
    """
    gc.collect()
    gc.freeze()


def prepare_database(database_url: str) -> None:
    """Migrate to the newest revision; on first start, create and print an admin key."""
    from astigd.app.db import migrate
    from astigd.app.db.engine import make_engine, make_session_factory
    from astigd.app.db.keys import create_first_admin_key

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            key = create_first_admin_key(session)
    finally:
        engine.dispose()
    if key is not None:
        typer.echo(
            "astigd: no API key existed, so an admin key was created. Store it now; "
            "it is not shown again (`astigd keys create` makes more):"
        )
        typer.echo(key)


def dashboard_url(host: str, port: int) -> str:
    """Return the URL a browser opens: http://HOST:PORT/ (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
