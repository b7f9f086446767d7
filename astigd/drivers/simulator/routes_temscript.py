"""temscript's v1 endpoints: GET/PUT /v1/<endpoint>, camera parameters and acquisition."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from temscript.marshall import pack_array

from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.temscript_view import TemscriptView
from astigd.drivers.simulator.transport import reply, wants_pickle
from astigd.drivers.simulator.vendor_errors import UnknownNameError

JsonBody = Annotated[Any, Body()]


def temscript_router(microscope: SimulatedMicroscope) -> APIRouter:
    """Return the router serving temscript's v1 protocol."""
    router = APIRouter(prefix="/v1")
    view = TemscriptView(microscope)
    camera = microscope.camera

    def named_camera(name: str):
        if name != camera.spec.name:
            raise UnknownNameError(f"Unknown detector: '{name}'")
        return camera

    @router.get("/acquire")
    def acquire(request: Request, detectors: Annotated[list[str] | None, Query()] = None):
        frames = microscope.acquire(*(detectors or ()))
        if not wants_pickle(request):
            frames = {name: pack_array(frame) for name, frame in frames.items()}
        return reply(request, frames)

    @router.get("/camera_param/{name}")
    @router.get("/detector_param/{name}")
    def get_camera_param(request: Request, name: str) -> Response:
        with microscope.operation():
            return reply(request, dict(named_camera(name).params))

    @router.put("/camera_param/{name}")
    @router.put("/detector_param/{name}")
    def put_camera_param(request: Request, name: str, values: JsonBody, ignore_errors: int = 0):
        with microscope.operation():
            named_camera(name).set_params(dict(values), ignore_errors=bool(ignore_errors))
        return reply(request, None)

    @router.put("/stage_position")
    def put_stage(request: Request, pos: JsonBody, method: str = "GO") -> Response:
        view.move_stage(dict(pos), method)
        return reply(request, None)

    @router.put("/normalize")
    def put_normalize(request: Request, mode: JsonBody) -> Response:
        microscope.normalize(str(mode))
        return reply(request, None)

    @router.get("/{name}")
    def get_value(request: Request, name: str) -> Response:
        return reply(request, view.get(name))

    @router.put("/{name}")
    def put_value(request: Request, name: str, value: JsonBody) -> Response:
        return reply(request, view.put(name, value))

    return router
