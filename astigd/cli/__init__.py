"""The `astigd` command line: a root app that gathers one sub-command per module."""

from __future__ import annotations

import typer

from astigd import __version__
from astigd.cli import db, keys
from astigd.cli.fit import fit_command
from astigd.cli.scope_pc import scope_pc_app
from astigd.cli.serve import serve_command
from astigd.cli.simulator import simulator_app
from astigd.cli.worker import PASS_THROUGH, worker_command

app = typer.Typer(
    name="astigd",
    help="Keep a TEM's objective-lens astigmatism corrected, and log the lens day by day.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("fit")(fit_command)
app.command("serve")(serve_command)
app.command("worker", context_settings=PASS_THROUGH)(worker_command)
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(simulator_app, name="simulator")
app.add_typer(scope_pc_app, name="scope-pc")


def _print_version(value: bool) -> None:
    """Print the version and stop, for --version."""
    if value:
        typer.echo(f"astigd {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Keep a TEM's objective-lens astigmatism corrected, and log the lens day by day."""


def main() -> None:
    """Run the `astigd` console script."""
    app(prog_name="astigd")
