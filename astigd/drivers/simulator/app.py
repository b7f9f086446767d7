"""The simulated scope's REST server: temscript's v1 protocol plus astigd's extensions."""

from __future__ import annotations

from fastapi import FastAPI

from astigd import __version__
from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.extensions_view import SimulatedExtensions
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.routes_sim import sim_router
from astigd.drivers.simulator.temscript_view import TemscriptView
from astigd.drivers.simulator.transport import TemscriptTransport
from astigd.drivers.temscript_server.routes_astigd import astigd_router
from astigd.drivers.temscript_server.routes_temscript import temscript_router
from astigd.drivers.temscript_server.wire import install_error_handlers


def create_app(
    microscope: SimulatedMicroscope | SimulatorConfig | None = None,
) -> TemscriptTransport:
    """Return the ASGI app serving one simulated microscope (the FastAPI app is its `.app`)."""
    if not isinstance(microscope, SimulatedMicroscope):
        microscope = SimulatedMicroscope(microscope)
    app = FastAPI(
        title="astigd simulated TEM",
        version=__version__,
        description="temscript v1 REST protocol, astigd extensions, and simulator-only truth.",
    )
    app.state.microscope = microscope
    install_error_handlers(app)
    app.include_router(sim_router(microscope))
    app.include_router(astigd_router(SimulatedExtensions(microscope)))
    app.include_router(temscript_router(TemscriptView(microscope)))
    return TemscriptTransport(app, microscope)
