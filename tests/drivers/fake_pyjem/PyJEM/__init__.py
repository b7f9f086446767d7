# ruff: noqa: N999
"""A faithful stand-in for JEOL's PyJEM package, for tests only (never on the runtime path)."""
