"""ASGI middleware: give each request an id, bind it to the logs, and log the request once."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from astigd.app.core.logging import get_logger

HEADER = "x-request-id"
ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = get_logger("astigd.http")


class RequestIdMiddleware:
    """Use the client's X-Request-ID when sane, else a new one; echo it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request with the request id bound to the log context."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(HEADER, request_id)
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed_ms = round((time.perf_counter() - started) * 1e3, 1)
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    elapsed_ms=elapsed_ms,
                )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == HEADER.encode():
            text = value.decode("latin-1")
            if ACCEPTED_ID.match(text):
                return text
    return uuid.uuid4().hex
