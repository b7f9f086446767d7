"""temscript's wire conventions: content negotiation, status codes, one answer per connection."""

from __future__ import annotations

import json
import pickle
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from temscript.marshall import MIME_TYPE_JSON, MIME_TYPE_PICKLE, ExtendedJsonEncoder

from astigd.drivers.temscript_server.errors import ServerBusyError


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


def error(status: int, message: str) -> Response:
    """Return an error answer; the JSON body carries the reason."""
    return Response(json.dumps({"detail": message}), status, media_type=MIME_TYPE_JSON)


def install_error_handlers(app: FastAPI) -> None:
    """Map backend errors to temscript's codes: 404 unknown, 503 busy, 500 vendor fault."""

    @app.exception_handler(ServerBusyError)
    async def busy(_: Request, exc: Exception) -> Response:
        return error(503, str(exc))

    @app.exception_handler(KeyError)
    async def unknown(_: Request, exc: Exception) -> Response:
        return error(404, str(exc.args[0] if exc.args else exc))

    @app.exception_handler(ValueError)
    @app.exception_handler(TypeError)
    async def refused(_: Request, exc: Exception) -> Response:
        return error(500, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_body(_: Request, exc: RequestValidationError) -> Response:
        return error(400, f"bad request: {exc.errors()}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        status = 404 if exc.status_code == 405 else exc.status_code  # temscript: 404 for both
        return error(status, str(exc.detail))


class ClosingApp:
    """ASGI wrapper: close the connection after each answer.

    temscript's own server speaks HTTP/1.0, and its client never reads a 204's (empty) body or an
    error's body; closing after each answer keeps ``http.client`` connections usable.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        await self.app(scope, receive, closing(send))


def closing(send):
    """Wrap send so every response start carries Connection: close."""

    async def wrapped(message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return wrapped
