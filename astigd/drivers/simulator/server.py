"""Run the simulated scope's REST server: in the foreground (CLI) or in a thread (tests)."""

from __future__ import annotations

import uvicorn

from astigd.drivers.simulator.app import create_app
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.temscript_server import thread


def serve(microscope: SimulatedMicroscope, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until interrupted."""
    uvicorn.run(create_app(microscope), host=host, port=port, log_level="info")


class ServerThread(thread.ServerThread):
    """A simulated scope served on a free loopback port, in a background thread.

    Use as a context manager: ``with ServerThread(microscope) as server: server.address``.
    """

    def __init__(self, microscope: SimulatedMicroscope | None = None, host: str = "127.0.0.1"):
        self.microscope = microscope or SimulatedMicroscope()
        super().__init__(create_app(self.microscope), host)
