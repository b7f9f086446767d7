"""What a scope backend raises, and the status each maps to on the wire (see ``wire.py``)."""

from __future__ import annotations


class ServerBusyError(Exception):
    """The scope is normalizing lenses or exposing; try again shortly (REST: 503)."""


class OutOfRangeError(ValueError):
    """A value the scope refuses: beyond a coil's range or not a known setting (REST: 500)."""


class UnknownNameError(KeyError):
    """No such detector, parameter or endpoint (REST: 404)."""
