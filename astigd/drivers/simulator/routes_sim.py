"""Simulator-only endpoints (/v1/astigd/sim/...): truth, faults, date and clock. Never faulted."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from astigd.drivers.simulator.faults import FaultSpec
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.truth import truth_report
from astigd.drivers.temscript_server.wire import reply


def sim_router(microscope: SimulatedMicroscope) -> APIRouter:
    """Return the router of the simulator's truth and admin endpoints."""
    router = APIRouter(prefix="/v1/astigd/sim")

    @router.get("/truth")
    def get_truth(request: Request) -> Response:
        return reply(request, truth_report(microscope))

    @router.get("/faults")
    def get_faults(request: Request) -> Response:
        return reply(
            request, [spec.model_dump(mode="json") for spec in microscope.faults.pending()]
        )

    @router.put("/faults")
    def put_faults(request: Request, specs: Annotated[list[FaultSpec], Body()]) -> Response:
        microscope.faults.clear()
        for spec in specs:
            microscope.faults.arm(spec)
        return reply(request, None)

    @router.get("/date")
    def get_date(request: Request) -> Response:
        return reply(request, microscope.state.lens.date.isoformat())

    @router.put("/date")
    def put_date(request: Request, date: Annotated[dt.date, Body()]) -> Response:
        with microscope.operation(check_busy=False):
            microscope.state.set_date(date)
        return reply(request, None)

    @router.get("/clock")
    def get_clock(request: Request) -> Response:
        return reply(request, {"elapsed_s": microscope.clock.elapsed_s()})

    @router.put("/clock")
    def put_clock(request: Request, advance_s: Annotated[float, Body(embed=True)]) -> Response:
        microscope.clock.advance(advance_s)
        return reply(request, None)

    @router.get("/config")
    def get_config(request: Request) -> Response:
        return reply(request, microscope.config.model_dump(mode="json"))

    return router
