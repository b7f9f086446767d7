"""What the simulated scope's own software raises, before any transport maps it."""

from __future__ import annotations

from astigd.drivers.temscript_server.errors import (
    OutOfRangeError,
    ServerBusyError,
    UnknownNameError,
)

__all__ = ["DroppedConnectionError", "OutOfRangeError", "SimulatorBusyError", "UnknownNameError"]


class SimulatorBusyError(ServerBusyError):
    """The scope is normalizing lenses or exposing; try again shortly (REST: 503)."""


class DroppedConnectionError(ConnectionError):
    """An injected fault: the connection to the scope was lost (in-process only)."""
