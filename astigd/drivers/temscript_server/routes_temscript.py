"""temscript's v1 endpoints: GET/PUT /v1/<endpoint>, camera parameters and acquisition."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from temscript.marshall import pack_array

from astigd.drivers.temscript_server.backends import TemscriptBackend
from astigd.drivers.temscript_server.wire import reply, wants_pickle

JsonBody = Annotated[Any, Body()]


def temscript_router(backend: TemscriptBackend) -> APIRouter:
    """Return the router serving temscript's v1 protocol on a backend."""
    router = APIRouter(prefix="/v1")

    @router.get("/acquire")
    def acquire(request: Request, detectors: Annotated[list[str] | None, Query()] = None):
        frames = backend.acquire(*(detectors or ()))
        if not wants_pickle(request):
            frames = {name: pack_array(frame) for name, frame in frames.items()}
        return reply(request, frames)

    @router.get("/camera_param/{name}")
    @router.get("/detector_param/{name}")
    def get_camera_param(request: Request, name: str) -> Response:
        return reply(request, backend.get_camera_param(name))

    @router.put("/camera_param/{name}")
    @router.put("/detector_param/{name}")
    def put_camera_param(request: Request, name: str, values: JsonBody, ignore_errors: int = 0):
        backend.set_camera_param(name, dict(values), bool(ignore_errors))
        return reply(request, None)

    @router.put("/stage_position")
    def put_stage(request: Request, pos: JsonBody, method: str = "GO") -> Response:
        backend.move_stage(dict(pos), method)
        return reply(request, None)

    @router.put("/normalize")
    def put_normalize(request: Request, mode: JsonBody) -> Response:
        backend.normalize(str(mode))
        return reply(request, None)

    @router.get("/{name}")
    def get_value(request: Request, name: str) -> Response:
        return reply(request, backend.get(name))

    @router.put("/{name}")
    def put_value(request: Request, name: str, value: JsonBody) -> Response:
        backend.put(name, value)
        return reply(request, None)

    return router
