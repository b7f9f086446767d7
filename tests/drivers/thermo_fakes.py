"""In-process stand-ins for a temscript server: a logging, fault-injecting proxy around
temscript's own NullMicroscope, and in-memory extension endpoints."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TemscriptFaults:
    """Faults shaped like what ``temscript.RemoteMicroscope`` raises on the wire."""

    busy_calls: int = 0
    hang_s: float = 0.0
    connected: bool = True
    release: threading.Event = field(default_factory=threading.Event)

    def busy(self, calls: int) -> None:
        self.busy_calls = calls

    def hang(self, seconds: float) -> None:
        self.release.clear()
        self.hang_s = seconds

    def disconnect(self) -> None:
        self.connected = False

    def clear(self) -> None:
        self.busy_calls, self.hang_s, self.connected = 0, 0.0, True
        self.release.set()

    def apply(self) -> None:
        """Suffer the pending fault, as a remote call would."""
        if self.hang_s:
            hang, self.hang_s = self.hang_s, 0.0
            self.release.wait(hang)
        if not self.connected:
            raise ConnectionRefusedError(111, "Connection refused")
        if self.busy_calls:
            self.busy_calls -= 1
            raise RuntimeError("Remote call returned status 503: Service Unavailable")


class FaultyProxy:
    """Log every method call on a target as (name, *args) and apply faults first."""

    def __init__(self, target: Any, log: list[tuple], faults: TemscriptFaults) -> None:
        self._target, self._log, self._faults = target, log, faults

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._log.append((name, *args))
            self._faults.apply()
            return attribute(*args, **kwargs)

        return call


class MemoryExtensions:
    """astigd's extension endpoints held in a dict."""

    def __init__(self, **values: Any) -> None:
        self.values = {"rotation_center_mrad": [0.0, 0.0], "defocus_m": 0.0, **values}

    def get(self, name: str) -> Any:
        return self.values[name]

    def put(self, name: str, value: Any) -> None:
        self.values[name] = value

    def close(self) -> None:
        pass
