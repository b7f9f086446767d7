"""Layering rules of DESIGN.md §3 for the drivers package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import astigd.drivers

DRIVERS = Path(astigd.drivers.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_drivers_never_import_the_app_or_the_tests():
    offenders = {
        f"{path.relative_to(DRIVERS)}: {name}"
        for path in DRIVERS.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] == "tests" or name.startswith("astigd.app")
    }
    assert not offenders


def test_importing_the_drivers_package_is_light():
    code = "import sys, astigd.drivers; assert not {'temscript', 'httpx'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
