"""temscript's wire conventions: content negotiation, status codes and injected transport faults."""

from __future__ import annotations

import asyncio
import json
import pickle
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from temscript.marshall import MIME_TYPE_JSON, MIME_TYPE_PICKLE, ExtendedJsonEncoder

from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.vendor_errors import SimulatorBusyError

ADMIN_PREFIX = "/v1/astigd/sim/"  # simulator-only endpoints: never faulted
HOLD_POLL_S = 0.005
DROPPED = "connection dropped by an injected fault"
_FAULT_ANSWERS = {
    "busy": (503, "injected fault: the microscope is busy"),
    "out_of_range": (500, "injected fault: value out of range"),
}


def wants_pickle(request: Request) -> bool:
    """Return whether the client asked for temscript's pickle transport."""
    accept = request.headers.get("accept", "")
    return MIME_TYPE_PICKLE in [part.split(";", 1)[0].strip() for part in accept.split(",")]


def reply(request: Request, content: Any) -> Response:
    """Return content as temscript's server does: JSON (or pickle if asked), 204 for None."""
    if content is None:
        return Response(status_code=204)
    if wants_pickle(request):
        return Response(pickle.dumps(content, protocol=2), media_type=MIME_TYPE_PICKLE)
    return Response(ExtendedJsonEncoder().encode(content).encode(), media_type=MIME_TYPE_JSON)


def _error(status: int, message: str) -> Response:
    """Return an error answer; the JSON body carries the reason."""
    return Response(json.dumps({"detail": message}), status, media_type=MIME_TYPE_JSON)


def install_error_handlers(app: FastAPI) -> None:
    """Map scope errors to temscript's codes: 404 unknown, 503 busy, 500 vendor fault."""

    @app.exception_handler(SimulatorBusyError)
    async def busy(_: Request, exc: Exception) -> Response:
        return _error(503, str(exc))

    @app.exception_handler(KeyError)
    async def unknown(_: Request, exc: Exception) -> Response:
        return _error(404, str(exc.args[0] if exc.args else exc))

    @app.exception_handler(ValueError)
    @app.exception_handler(TypeError)
    async def refused(_: Request, exc: Exception) -> Response:
        return _error(500, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_body(_: Request, exc: RequestValidationError) -> Response:
        return _error(400, f"bad request: {exc.errors()}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        status = 404 if exc.status_code == 405 else exc.status_code  # temscript: 404 for both
        return _error(status, str(exc.detail))


class TemscriptTransport:
    """Outermost ASGI wrapper: inject transport faults; close the connection after each answer.

    temscript's own server speaks HTTP/1.0, and its client never reads a 204's (empty) body or an
    error's body; closing after each answer keeps ``http.client`` connections usable. A dropped
    connection returns a value to the server instead of answering: uvicorn then closes the
    socket without a response, which the client sees as a connection reset (RemoteDisconnected).
    """

    def __init__(self, app, microscope: SimulatedMicroscope) -> None:
        self.app, self.microscope = app, microscope

    async def __call__(self, scope, receive, send) -> str | None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith("/v1/") and not path.startswith(ADMIN_PREFIX):
            for fault in self.microscope.inject(scope["method"], path[4:]):
                if fault.kind == "timeout":
                    await self._hold(fault.delay_s)
                elif fault.kind == "drop":
                    return DROPPED  # uvicorn: "should return None" -> closes the transport
                else:
                    answer = _error(*_FAULT_ANSWERS[fault.kind])
                    return await answer(scope, receive, _closing(send))
        await self.app(scope, receive, _closing(send))

    async def _hold(self, delay_s: float) -> None:
        """Keep a request waiting for delay_s, or until the faults are cleared."""
        faults = self.microscope.faults
        ticket = faults.hold_ticket(delay_s)
        while faults.holding(ticket):
            await asyncio.sleep(HOLD_POLL_S)


def _closing(send):
    """Wrap send so every response start carries Connection: close."""

    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return wrapped
