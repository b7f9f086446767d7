"""astigd's extension endpoints (/v1/astigd/...), as tabled in astigd/drivers/thermo.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from astigd.drivers.temscript_server.backends import ExtensionBackend
from astigd.drivers.temscript_server.wire import reply

JsonBody = Annotated[Any, Body()]


def astigd_router(backend: ExtensionBackend) -> APIRouter:
    """Return the router serving defocus in metres, rotation centre, table and optics."""
    router = APIRouter(prefix="/v1/astigd")

    @router.get("/defocus_m")
    def get_defocus(request: Request) -> Response:
        return reply(request, float(backend.get_defocus_m()))

    @router.put("/defocus_m")
    def put_defocus(request: Request, value: JsonBody) -> Response:
        backend.set_defocus_m(_number(value))
        return reply(request, None)

    @router.get("/rotation_center_mrad")
    def get_rotation_center(request: Request) -> Response:
        return reply(request, [float(v) for v in backend.get_rotation_center_mrad()])

    @router.put("/rotation_center_mrad")
    def put_rotation_center(request: Request, value: JsonBody) -> Response:
        backend.set_rotation_center_mrad(_pair(value))
        return reply(request, None)

    @router.get("/magnification_table")
    def get_magnification_table(request: Request) -> Response:
        return reply(request, backend.magnification_table())

    @router.get("/optics")
    def get_optics(request: Request) -> Response:
        return reply(request, backend.optics())

    return router


def _number(value: Any) -> float:
    """Return a JSON number as float; refuse anything else (REST: 500, as a vendor refusal)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _pair(value: Any) -> list[float]:
    """Return a JSON [x, y] pair of numbers as floats."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"expected [x, y], got {value!r}")
    return [_number(v) for v in value]
