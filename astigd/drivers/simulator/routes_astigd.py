"""astigd's extension endpoints (/v1/astigd/...), as tabled in astigd/drivers/thermo.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.transport import reply

JsonBody = Annotated[Any, Body()]


def astigd_router(microscope: SimulatedMicroscope) -> APIRouter:
    """Return the router serving defocus in metres, rotation centre, table and optics."""
    router = APIRouter(prefix="/v1/astigd")
    state = microscope.state

    @router.get("/defocus_m")
    def get_defocus(request: Request) -> Response:
        with microscope.operation():
            return reply(request, -1e-9 * state.defocus_nm())

    @router.put("/defocus_m")
    def put_defocus(request: Request, value: JsonBody) -> Response:
        with microscope.operation():
            state.set_defocus_nm(-1e9 * float(value))
        return reply(request, None)

    @router.get("/rotation_center_mrad")
    def get_rotation_center(request: Request) -> Response:
        with microscope.operation():
            return reply(request, list(state.rotation_center_mrad))

    @router.put("/rotation_center_mrad")
    def put_rotation_center(request: Request, value: JsonBody) -> Response:
        with microscope.operation():
            state.set_rotation_center(value)
        return reply(request, None)

    @router.get("/magnification_table")
    def get_magnification_table(request: Request) -> Response:
        return reply(request, [mag.published() for mag in state.table.values()])

    @router.get("/optics")
    def get_optics(request: Request) -> Response:
        with microscope.operation():
            stig_x, stig_y = state.stigmator.commanded
            optics = {
                "ht_kv": microscope.config.kv,
                "magnification_index": state.mag_index,
                "probe_mode": state.probe_mode,
                "stig_x": stig_x,
                "stig_y": stig_y,
                "defocus_m": -1e-9 * state.defocus_nm(),
                "rotation_center_mrad": list(state.rotation_center_mrad),
            }
        return reply(request, optics)

    return router
