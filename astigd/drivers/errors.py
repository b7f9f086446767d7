"""Typed errors raised by the scope layer, whatever the vendor."""

from __future__ import annotations


class ScopeError(Exception):
    """Base class for every error raised by a scope driver."""


class LimitError(ScopeError, ValueError):
    """A request falls outside the scope's safety limits; nothing was changed."""


class ScopeTimeoutError(ScopeError, TimeoutError):
    """A vendor call did not answer within its time limit."""


class ScopeBusyError(ScopeError):
    """The microscope stayed busy through every retry."""


class DisconnectedError(ScopeError, ConnectionError):
    """The microscope (or its server) cannot be reached."""


class VendorError(ScopeError):
    """The vendor software reported a fault."""


class ReadbackError(VendorError):
    """A value read back after a set differs from the value requested."""


class DriverUnavailableError(ScopeError, ImportError):
    """The vendor library a driver needs is not installed."""
