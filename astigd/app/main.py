"""The astigd web application: `create_app(settings)` wires routes, errors, logs and resources.

The lifespan creates the database engine and the compute pool once, on `app.state`, and
registers the inventory's scopes in the database when its schema is current.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from astigd import __version__
from astigd.app.api.router import api_router
from astigd.app.api.routes import health, index, metrics
from astigd.app.core.config import Settings
from astigd.app.core.errors import install_error_handlers
from astigd.app.core.inventory import load_inventory
from astigd.app.core.key_cache import KeyCache
from astigd.app.core.logging import configure_structlog, get_logger
from astigd.app.core.metrics import Metrics
from astigd.app.core.pool import create_pool
from astigd.app.core.request_id import RequestIdMiddleware
from astigd.app.dashboard import STATIC_DIR, STATIC_URL
from astigd.app.db.engine import make_engine, make_session_factory
from astigd.app.db.migrate import schema_problem
from astigd.app.db.scopes import sync_scopes
from astigd.app.jobs.lifecycle import start_jobs
from astigd.app.live.spectra import KeptFrames

log = get_logger("astigd.app")


def operation_id(route: APIRoute) -> str:
    """Return `<tag>-<function name>` as the operation id, for clean generated clients."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the engine and the pool at start-up; release them at shutdown."""
    settings: Settings = app.state.settings
    engine = make_engine(settings.database_url, settings.database.busy_timeout_ms)
    app.state.engine, app.state.sessions = engine, make_session_factory(engine)
    await run_in_threadpool(_register_scopes, app)
    pool = settings.pool
    executor = await run_in_threadpool(create_pool, pool)  # a Dask client connects here
    app.state.executor = executor
    app.state.metrics.watch_pool(executor)
    for _ in range(pool.workers if pool.kind == "local" else 0):
        executor.submit(int)  # start the workers now, so they warm up before the first fit
    jobs = await start_jobs(app, executor)
    log.info(
        "started",
        version=__version__,
        database=engine.url.render_as_string(),
        pool=pool.kind,
        workers=pool.workers,
        scheduler=pool.scheduler,
    )
    try:
        yield
    finally:
        await jobs.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        engine.dispose()
        log.info("stopped")


def _register_scopes(app: FastAPI) -> None:
    """Write the inventory's scopes to the database, unless its schema is not current."""
    app.state.scopes_registered = False
    try:
        problem = schema_problem(app.state.engine)
        if problem is None:
            with app.state.sessions() as session:
                sync_scopes(session, app.state.inventory)
            app.state.scopes_registered = True
            return
    except SQLAlchemyError as error:
        problem = f"{type(error).__name__}: {error}"
    log.warning("scopes not registered", reason=problem)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Return the application for these settings (default: from the environment)."""
    settings = settings or Settings()
    configure_structlog()
    app = FastAPI(
        title="astigd",
        version=__version__,
        summary="Keeps a TEM's objective-lens astigmatism corrected.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.inventory = load_inventory(settings.scopes_file)
    app.state.metrics = Metrics()
    app.state.key_cache = KeyCache(settings.auth.key_cache_s)
    app.state.spectra = KeptFrames()
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(api_router)
    for router in (health.router, metrics.router, index.router):
        app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="dashboard")
    return app
