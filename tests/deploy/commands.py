"""Check a container command against the real command-line parsers, without running it."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import click
import typer
import typer.main

from astigd.cli import app

# typer may carry its own copy of click, whose errors are not click's
USAGE_ERRORS = (click.ClickException, typer.TyperException)


class InvalidCommandError(AssertionError):
    """A command line the real parser refuses; the message is the parser's."""


def parse(command: Any, name: str, args: list[str]) -> list[str]:
    """Parse args as the command line would, down its sub-commands; return the path taken."""
    context = command.make_context(name, list(args), resilient_parsing=False)
    path = [name]
    while hasattr(command, "resolve_command"):  # a group: descend into the sub-command
        remaining = [*_protected_args(context), *context.args]
        if not remaining:
            break
        sub_name, command, rest = command.resolve_command(context, remaining)
        context = command.make_context(sub_name, rest, parent=context)
        path.append(sub_name)
    return path


def _protected_args(context: Any) -> list[str]:
    """Return the sub-command and its arguments, which click keeps apart from `args`."""
    protected = getattr(context, "_protected_args", None)  # click >= 8.2
    return list(context.protected_args if protected is None else protected)


def check_command(argv: list[str]) -> list[str]:
    """Return the command path of `astigd ...` or `dask <sub-command> ...`; raise if invalid."""
    program, *args = argv
    try:
        if program == "astigd":
            return parse(typer.main.get_command(app), "astigd", args)
        if program == "dask":
            sub, *rest = args
            found = entry_points(group="dask_cli", name=sub)  # the `dask` CLI's sub-commands
            if not found:
                raise InvalidCommandError(f"`dask {sub}` is not installed")
            return ["dask", *parse(next(iter(found)).load(), sub, rest)]
    except USAGE_ERRORS as error:
        raise InvalidCommandError(f"{' '.join(argv)}: {error.format_message()}") from None
    raise InvalidCommandError(f"{program!r} is neither astigd nor dask")
