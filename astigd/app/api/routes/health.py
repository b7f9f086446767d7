"""Liveness (/healthz) and readiness (/readyz: database at the newest revision, pool alive)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from astigd import __version__
from astigd.app.api.deps import ExecutorDep
from astigd.app.db.migrate import current_revisions, schema_problem
from astigd.app.schemas.health import Health, Readiness
from astigd.workers.pool import ping

router = APIRouter(tags=["health"])
POOL_PING_TIMEOUT_S = 5.0


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """Answer while the process is up."""
    return Health(version=__version__)


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(request: Request, executor: ExecutorDep) -> JSONResponse:
    """Answer 200 when the database is at the newest revision and the pool runs tasks, else 503."""
    revisions, reasons = await run_in_threadpool(_database_state, request.app.state.engine)
    pool_alive = await ping(executor, POOL_PING_TIMEOUT_S)
    if not pool_alive:
        reasons.append("the compute pool does not run tasks")
    ready = Readiness(
        status="not ready" if reasons else "ready",
        database_revision=revisions,
        pool_alive=pool_alive,
        reasons=reasons,
    )
    return JSONResponse(ready.model_dump(), status_code=503 if reasons else 200)


def _database_state(engine) -> tuple[list[str], list[str]]:
    """Return the database's revisions and what keeps it from being ready."""
    try:
        problem = schema_problem(engine)
        return sorted(current_revisions(engine)), [problem] if problem else []
    except SQLAlchemyError as error:
        return [], [f"the database cannot be reached: {type(error).__name__}"]
