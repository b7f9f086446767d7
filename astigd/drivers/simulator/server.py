"""Run the simulated scope's REST server: in the foreground (CLI) or in a thread (tests)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from astigd.drivers.simulator.app import create_app
from astigd.drivers.simulator.microscope import SimulatedMicroscope

STARTUP_TIMEOUT_S = 10.0


def serve(microscope: SimulatedMicroscope, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until interrupted."""
    uvicorn.run(create_app(microscope), host=host, port=port, log_level="info")


class ServerThread:
    """A simulated scope served by uvicorn on a free loopback port, in a background thread.

    Use as a context manager: ``with ServerThread(microscope) as server: server.address``.
    """

    def __init__(self, microscope: SimulatedMicroscope | None = None, host: str = "127.0.0.1"):
        self.microscope = microscope or SimulatedMicroscope()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self.address: tuple[str, int] = self._socket.getsockname()[:2]
        config = uvicorn.Config(create_app(self.microscope), log_level="critical")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="astigd-sim-server", daemon=True)

    @property
    def url(self) -> str:
        """Return the base URL, e.g. http://127.0.0.1:54321."""
        return f"http://{self.address[0]}:{self.address[1]}"

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self) -> ServerThread:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the simulated scope's server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(STARTUP_TIMEOUT_S)
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
