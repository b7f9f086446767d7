"""The scope-PC server's ASGI app: temscript v1 and /v1/astigd/ on one temscript microscope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from astigd import __version__
from astigd.drivers.scope_pc.calls import MicroscopeCalls
from astigd.drivers.scope_pc.extensions import ScopePcExtensions
from astigd.drivers.scope_pc.mag_table import MagTable
from astigd.drivers.scope_pc.temscript_calls import TemscriptCalls
from astigd.drivers.temscript_server.routes_astigd import astigd_router
from astigd.drivers.temscript_server.routes_temscript import temscript_router
from astigd.drivers.temscript_server.wire import ClosingApp, error, install_error_handlers


def create_scope_pc_app(factory: Callable[[], Any], table: MagTable | None = None) -> ClosingApp:
    """Return the app serving the microscope `factory` creates (the FastAPI app is its `.app`)."""
    calls = MicroscopeCalls(factory)
    app = FastAPI(
        title="astigd scope-PC server",
        version=__version__,
        description="temscript v1 REST protocol plus astigd's extensions, on TEM Scripting.",
    )
    install_error_handlers(app)

    @app.exception_handler(OSError)  # COM failures (HRESULTs) surface as OSError
    async def vendor_fault(_: Request, exc: Exception) -> Response:
        return error(500, f"microscope fault: {exc}")

    app.state.calls = calls
    app.state.extensions = extensions = ScopePcExtensions(calls, table)
    app.include_router(astigd_router(extensions))
    app.include_router(temscript_router(TemscriptCalls(calls)))
    return ClosingApp(app)


def microscope_factory(null: bool) -> Callable[[], Any]:
    """Return temscript's local COM Microscope, or its NullMicroscope (300 kV) for rehearsals."""
    if null:
        from temscript import NullMicroscope

        return lambda: NullMicroscope(voltage=300.0)
    from temscript import Microscope

    return Microscope
