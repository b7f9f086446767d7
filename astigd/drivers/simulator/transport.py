"""The simulated scope's transport faults, injected before temscript's wire conventions apply."""

from __future__ import annotations

import asyncio

from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.temscript_server.wire import closing, error

ADMIN_PREFIX = "/v1/astigd/sim/"  # simulator-only endpoints: never faulted
HOLD_POLL_S = 0.005
DROPPED = "connection dropped by an injected fault"
_FAULT_ANSWERS = {
    "busy": (503, "injected fault: the microscope is busy"),
    "out_of_range": (500, "injected fault: value out of range"),
}


class TemscriptTransport:
    """Outermost ASGI wrapper: inject transport faults, then answer as ``wire.ClosingApp`` does.

    A dropped connection returns a value to the server instead of answering: uvicorn then closes
    the socket without a response, which the client sees as a reset (RemoteDisconnected).
    """

    def __init__(self, app, microscope: SimulatedMicroscope) -> None:
        self.app, self.microscope = app, microscope

    async def __call__(self, scope, receive, send) -> str | None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if path.startswith("/v1/") and not path.startswith(ADMIN_PREFIX):
            for fault in self.microscope.inject(scope["method"], path[4:]):
                if fault.kind == "timeout":
                    await self._hold(fault.delay_s)
                elif fault.kind == "drop":
                    return DROPPED  # uvicorn: "should return None" -> closes the transport
                else:
                    answer = error(*_FAULT_ANSWERS[fault.kind])
                    return await answer(scope, receive, closing(send))
        await self.app(scope, receive, closing(send))

    async def _hold(self, delay_s: float) -> None:
        """Keep a request waiting for delay_s, or until the faults are cleared."""
        faults = self.microscope.faults
        ticket = faults.hold_ticket(delay_s)
        while faults.holding(ticket):
            await asyncio.sleep(HOLD_POLL_S)
