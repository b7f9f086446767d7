"""expected_protocol for the scope layer: a scripted backend that asserts every vendor call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from astigd.drivers.records import AuditRecord
from astigd.drivers.scope import Scope
from tests.drivers.rig import FAST


class ScriptedBackend:
    """Answer each vendor call from a script of (method, args, reply); anything else fails.

    A reply that is an exception is raised instead of returned.
    """

    def __init__(self, script: list[tuple[str, tuple, Any]]) -> None:
        self.script = list(script)
        self.unexpected: list[str] = []

    def __getattr__(self, method: str) -> Any:
        def call(*args: Any) -> Any:
            if not self.script:
                self.unexpected.append(f"{method}{args}")
                raise AssertionError(f"unexpected vendor call {method}{args}")
            expected, expected_args, reply = self.script.pop(0)
            assert (method, args) == (expected, expected_args), f"got {method}{args}"
            if isinstance(reply, BaseException):
                raise reply
            return reply

        call.__name__ = method
        return call

    def close(self) -> None:
        pass


class PlainUnits:
    """Identity conversions: raw stigmator and tilt are pairs, raw defocus is nm."""

    def stig_from_raw(self, raw):
        return tuple(raw)

    def stig_to_raw(self, stig):
        return tuple(stig)

    def defocus_from_raw(self, raw, mag_index):
        return raw

    def defocus_to_raw(self, defocus_nm, mag_index, current):
        return defocus_nm

    def tilt_from_raw(self, raw):
        return tuple(raw)

    def tilt_to_raw(self, tilt_mrad):
        return tuple(tilt_mrad)


@asynccontextmanager
async def expected_protocol(
    script: list[tuple[str, tuple, Any]], audit: list[AuditRecord] | None = None, **options: Any
) -> AsyncIterator[Scope]:
    """Yield a Scope whose backend expects exactly `script`, and check it was all used."""
    backend = ScriptedBackend(script)
    options.setdefault("timing", FAST)
    scope = Scope(
        backend, PlainUnits(), audit=(audit if audit is not None else []).append, **options
    )
    try:
        yield scope
    finally:
        await scope.close()
    assert backend.script == [], f"vendor calls never made: {backend.script}"
    assert backend.unexpected == []
