"""The astigd commands the operations docs tell an operator to type exist and parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.deploy.commands import check_command

DOCS = Path(__file__).parents[2] / "docs" / "ops"
COMMAND = re.compile(r"^\s*(astigd (?:scope-pc|simulator|worker) [^`\n]*)", re.MULTILINE)


def documented_commands() -> list[str]:
    """Return each `astigd scope-pc|simulator|worker ...` line of the ops docs."""
    return [m.group(1).strip() for p in DOCS.glob("*.md") for m in COMMAND.finditer(p.read_text())]


def test_the_scope_pc_steps_are_documented():
    assert any(c.startswith("astigd scope-pc serve") for c in documented_commands())


@pytest.mark.parametrize("command", documented_commands())
def test_every_documented_command_parses(command: str):
    argv = shlex.split(command.replace("\\", "/"))
    assert check_command(argv)[:2] == argv[:2]
