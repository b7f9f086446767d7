"""GET /metrics: Prometheus exposition of the app's registry."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from astigd.app.api.deps import MetricsDep

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text"}},
)
def metrics(registry: MetricsDep) -> Response:
    """Return the metrics in Prometheus's text format."""
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
