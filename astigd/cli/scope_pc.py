"""``astigd scope-pc serve``: the scope-PC server of a Thermo microscope (TEM Scripting)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

scope_pc_app = typer.Typer(
    help="Run on a Thermo scope PC: temscript's REST protocol plus astigd's extensions."
)


@scope_pc_app.callback()
def scope_pc() -> None:
    """Serve a Thermo microscope to astigd's Thermo driver."""


@scope_pc_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="TCP port (temscript's default is 8080).")] = 8080,
    mag_table: Annotated[
        Path | None,
        typer.Option(help="YAML magnification table with calibrated pixel sizes."),
    ] = None,
    null: Annotated[
        bool, typer.Option("--null", help="Serve temscript's NullMicroscope (no scope).")
    ] = False,
) -> None:
    """Serve temscript's v1 protocol and /v1/astigd/... on the local microscope until stopped."""
    import uvicorn

    from astigd.drivers.scope_pc.app import create_scope_pc_app, microscope_factory
    from astigd.drivers.scope_pc.mag_table import load_mag_table

    try:
        table = load_mag_table(mag_table) if mag_table else None
    except ValueError as exc:
        typer.echo(f"astigd scope-pc: {exc}", err=True)
        raise typer.Exit(2) from None
    if table is None:
        typer.echo("astigd scope-pc: no --mag-table, so /v1/astigd/magnification_table is 404")
    app = create_scope_pc_app(microscope_factory(null), table)
    which = "NullMicroscope" if null else "TEM Scripting"
    typer.echo(f"astigd scope-pc: {which}, http://{host}:{port}/v1/")
    uvicorn.run(app, host=host, port=port, log_level="info")
