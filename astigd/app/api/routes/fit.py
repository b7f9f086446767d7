"""POST /fit: fit an uploaded frame in the compute pool and store it as a measurement."""

from __future__ import annotations

import time
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Header, HTTPException, Query, Request, status
from starlette.concurrency import run_in_threadpool

from astigd.app.api.deps import (
    ExecutorDep,
    InventoryDep,
    MetricsDep,
    ReadDep,
    SessionFactoryDep,
    SettingsDep,
)
from astigd.app.api.fit_calibrations import with_stored_calibrations
from astigd.app.api.fit_inputs import FitQuery, resolve_fit_inputs
from astigd.app.api.uploads import (
    FRAME_BODY_OPENAPI,
    frame_from_body,
    media_type,
    read_body,
    unprocessable,
)
from astigd.app.core.logging import get_logger
from astigd.app.core.metrics import Metrics
from astigd.app.db.measurements import store_fit
from astigd.app.schemas.fits import FitResult
from astigd.workers.pool import FitTimeoutError, fit_in_pool
from astigd.workers.results import CtfFit
from astigd.workers.spectrum import InvalidFrameError, validate_frame

router = APIRouter(tags=["fit"])
log = get_logger("astigd.fit")
# What the fitter raises on frames it cannot make sense of (degenerate spectra, empty bands).
UNFITTABLE = (ValueError, ArithmeticError, TypeError, IndexError)
BAD_INPUT = {
    code: {"description": text}
    for code, text in (
        (401, "No or unknown API key"),
        (403, "The key lacks the read scope"),
        (404, "Unknown scope"),
        (413, "Upload too large"),
        (415, "Unsupported Content-Type"),
        (422, "Invalid parameters or a frame that cannot be fitted"),
        (503, "The compute pool gave no result within its fit timeout"),
    )
}


@router.post(
    "/fit", response_model=FitResult, openapi_extra=FRAME_BODY_OPENAPI, responses=BAD_INPUT
)
async def fit_upload(
    request: Request,
    query: Annotated[FitQuery, Query()],
    principal: ReadDep,
    settings: SettingsDep,
    inventory: InventoryDep,
    executor: ExecutorDep,
    sessions: SessionFactoryDep,
    metrics: MetricsDep,
    x_dtype: Annotated[str | None, Header(max_length=16, description="Raw dtype")] = None,
    x_shape: Annotated[str | None, Header(max_length=40, description="Raw shape")] = None,
) -> FitResult:
    """Fit defocus and astigmatism to an uploaded frame; store and return the fit."""
    inputs = await run_in_threadpool(
        with_stored_calibrations,
        sessions,
        query.scope_id,
        query.mag_index,
        resolve_fit_inputs(query, inventory),
        query.pixel_size_A is not None,
        query.aniso is not None,
    )
    body = await read_body(request, settings.limits.max_upload_bytes)
    frame = frame_from_body(
        body, media_type(request), x_dtype or query.dtype, x_shape or query.shape
    )
    fit = await _fit(frame, inputs, query.scope_id, executor, metrics)

    def store() -> int:
        with sessions() as session:
            row = store_fit(session, fit, "upload", query.scope_id, None, inputs.snapshot)
            return row.id

    measurement_id = await run_in_threadpool(store)
    if query.scope_id is not None:
        request.app.state.spectra.keep(query.scope_id, measurement_id, frame, inputs.optics)
    return FitResult.from_fit(fit, measurement_id, query.scope_id)


async def _fit(frame, inputs, scope_id: str | None, executor, metrics: Metrics) -> CtfFit:
    """Validate the frame here (cheap, clear 422s), then fit it in the pool and time it."""
    started = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            validate_frame(frame)
        fit = await fit_in_pool(executor, frame, inputs.optics, inputs.settings, inputs.aniso)
    except InvalidFrameError as error:
        metrics.fit_failed(scope_id, "invalid_frame")
        raise unprocessable(str(error)) from None
    except FitTimeoutError as error:
        metrics.fit_failed(scope_id, "timeout")
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from None
    except UNFITTABLE as error:  # the fitter gave up on this frame's content
        metrics.fit_failed(scope_id, "unfittable")
        log.warning("fit failed", scope_id=scope_id, exc_info=error)
        raise unprocessable(
            f"the frame could not be fitted ({type(error).__name__}: {error})"
        ) from None
    except Exception:
        metrics.fit_failed(scope_id, "error")
        raise
    metrics.observe_fit(scope_id, time.perf_counter() - started, fit.reliable)
    return fit
