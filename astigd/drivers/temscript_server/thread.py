"""Serve an ASGI app with uvicorn on a loopback port, in a background thread (tests, benches)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

STARTUP_TIMEOUT_S = 10.0


class ServerThread:
    """An ASGI app served by uvicorn in a background thread; port 0 picks a free port.

    Use as a context manager: ``with ServerThread(app) as server: server.address``.
    """

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart on a port
        self._socket.bind((host, port))
        self.address: tuple[str, int] = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="critical"))
        self._thread = threading.Thread(target=self._run, name="astigd-rest-server", daemon=True)

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
                raise RuntimeError("the REST server did not start")
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
