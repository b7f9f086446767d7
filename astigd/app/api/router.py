"""The versioned API: one router per resource under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from astigd.app.api.routes import (
    alerts,
    auth,
    compensation,
    fit,
    history,
    jobs,
    magnification_calibrations,
    measurements,
    plans,
    scope_state,
    scopes,
    spectrum,
    sweeps,
    ws_fit,
    ws_jobs,
)

API_PREFIX = "/api/v1"

api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(auth.router)
api_router.include_router(scopes.router)
api_router.include_router(fit.router)
api_router.include_router(measurements.router)
api_router.include_router(ws_fit.router)
api_router.include_router(scope_state.router)
api_router.include_router(jobs.router)
api_router.include_router(ws_jobs.router)
api_router.include_router(compensation.router)
api_router.include_router(history.router)
api_router.include_router(plans.router)
api_router.include_router(sweeps.router)
api_router.include_router(alerts.router)
api_router.include_router(spectrum.router)
api_router.include_router(magnification_calibrations.router)
