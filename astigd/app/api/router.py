"""The versioned API: one router per resource under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from astigd.app.api.routes import fit, measurements, scopes

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(scopes.router)
api_router.include_router(fit.router)
api_router.include_router(measurements.router)
