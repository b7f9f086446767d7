"""Client for astigd's extension endpoints on a temscript server (table in ``thermo.py``)."""

from __future__ import annotations

import http.client
from typing import Any, Protocol, runtime_checkable

import httpx

from astigd.drivers.errors import (
    DisconnectedError,
    ScopeBusyError,
    ScopeError,
    ScopeTimeoutError,
    VendorError,
)

PREFIX = "/v1/astigd/"


@runtime_checkable
class Extensions(Protocol):
    """Blocking get/put of a named extension value (JSON)."""

    def get(self, name: str) -> Any:
        """Return the value of an extension endpoint."""

    def put(self, name: str, value: Any) -> None:
        """Write the value of an extension endpoint."""

    def close(self) -> None:
        """Release the connection."""


class HttpExtensions:
    """Extension endpoints over HTTP, on the temscript server's host and port."""

    def __init__(self, base_url: str, timeout_s: float, client: httpx.Client | None = None):
        """Connect lazily to ``base_url`` (e.g. ``http://scope-pc:8080``)."""
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout_s)

    def get(self, name: str) -> Any:
        """GET /v1/astigd/<name> and return the decoded JSON."""
        response = self._client.get(PREFIX + name, headers={"Accept": "application/json"})
        return _checked(response).json()

    def put(self, name: str, value: Any) -> None:
        """PUT /v1/astigd/<name> with a JSON body."""
        _checked(self._client.put(PREFIX + name, json=value))

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


class UnavailableExtensions:
    """Stand-in where no extension server exists (local COM): every call is a vendor error."""

    def get(self, name: str) -> Any:
        """Raise: the value is not reachable through temscript alone."""
        raise VendorError(f"{name} is not available without astigd's extension endpoints")

    def put(self, name: str, value: Any) -> None:
        """Raise: the value is not reachable through temscript alone."""
        self.get(name)

    def close(self) -> None:
        """Do nothing."""


def _checked(response: httpx.Response) -> httpx.Response:
    """Return the response, or raise busy (503) or a vendor error (other failures)."""
    if response.status_code == 503:
        raise ScopeBusyError(f"{response.request.url.path}: microscope busy")
    if response.status_code >= 400:
        path, code = response.request.url.path, response.status_code
        raise VendorError(f"{path} answered {code}: {response.text[:200]}")
    return response


def translate(exc: BaseException) -> ScopeError:
    """Map a temscript, socket or httpx exception to astigd's typed errors."""
    if isinstance(exc, ScopeError):
        return exc
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return ScopeTimeoutError(f"no answer from the microscope: {exc!r}")
    if isinstance(exc, OSError | http.client.HTTPException | httpx.TransportError):
        return DisconnectedError(f"microscope unreachable: {exc!r}")
    if isinstance(exc, RuntimeError) and "status 503" in str(exc):
        return ScopeBusyError(f"microscope busy: {exc}")
    return VendorError(f"microscope fault: {exc!r}")
