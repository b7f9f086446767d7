"""What the simulated scope's own software raises, before any transport maps it."""

from __future__ import annotations


class SimulatorBusyError(Exception):
    """The scope is normalizing lenses or exposing; try again shortly (REST: 503)."""


class OutOfRangeError(ValueError):
    """A value the scope refuses: beyond a coil's range or not a known setting (REST: 500)."""


class UnknownNameError(KeyError):
    """No such detector, parameter or endpoint (REST: 404)."""


class DroppedConnectionError(ConnectionError):
    """An injected fault: the connection to the scope was lost (in-process only)."""
