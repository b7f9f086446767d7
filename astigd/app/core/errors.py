"""Exception handlers: every error leaves as JSON `{"detail": ...}`; bad input is never a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from astigd.app.core.logging import get_logger

log = get_logger("astigd.errors")


def clean_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Return validation errors as location, message and type only (no echoed input)."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in errors
    ]


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer a request or model validation error with 422 and the cleaned errors."""
    errors = exc.errors() if isinstance(exc, RequestValidationError | ValidationError) else []
    body = {"detail": clean_errors(list(errors))}
    return JSONResponse(body, 422)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """Log an unexpected error and answer 500 with the request id, never the traceback."""
    request_id = getattr(request.state, "request_id", None)
    log.error("unhandled error", exc_info=exc, path=request.url.path)
    body = {"detail": "internal server error", "request_id": request_id}
    return JSONResponse(body, status.HTTP_500_INTERNAL_SERVER_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on an app."""
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
