"""Send an already validated model as JSON, for the endpoints that pollers hit most."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_json(model: BaseModel) -> Response:
    """Return the model serialized once, in the endpoint's thread.

    FastAPI would validate a returned model again against `response_model`, in a second worker
    thread for a sync endpoint; the route's `response_model` still documents the shape.
    """
    return Response(model.model_dump_json(), media_type="application/json")
