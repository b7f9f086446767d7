"""Live mode over WS /api/v1/ws/fit: per frame a JSON header, then the raw array; one reply each.

A frame is any array with `dtype`, `shape` and `tobytes()` (a numpy array), so this module does
not import numpy. Replies are `{"type": "fit", ...}` (with `advice` when the header names the
scope, magnification index and current stigmators), `{"type": "dropped", ...}` when the server
was busy with a newer frame, or `{"type": "error", "error": ...}`.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any, Protocol

from astigd.client.sockets import open_socket, websocket_url


class FrameLike(Protocol):
    """What a frame must offer: a numpy-style dtype, shape and raw bytes (C order)."""

    @property
    def dtype(self) -> Any: ...  # noqa: D102

    @property
    def shape(self) -> tuple[int, ...]: ...  # noqa: D102

    def tobytes(self) -> bytes: ...  # noqa: D102


class LiveFitStream:
    """One live-fit connection; use as a context manager."""

    def __init__(self, base_url: str, api_key: str | None, timeout_s: float = 120.0) -> None:
        """Remember where to connect; `timeout_s` bounds the wait for each reply."""
        self.url = websocket_url(base_url, "/api/v1/ws/fit")
        self.api_key, self.timeout_s = api_key, timeout_s
        self.connection = ExitStack()
        self.socket: Any = None
        self.seq = 0

    def __enter__(self) -> LiveFitStream:
        """Connect (a refused key raises ApiError)."""
        socket = open_socket(self.url, self.api_key, self.timeout_s)
        self.socket = self.connection.enter_context(socket)
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the connection."""
        self.connection.close()
        self.socket = None

    def send(self, frame: FrameLike, **header: Any) -> int:
        """Send one frame with its optics (pixel_size_A, kv, cs_mm, ...); return its seq."""
        self.seq += 1
        head = {**header, "seq": self.seq, "dtype": str(frame.dtype), "shape": list(frame.shape)}
        self.socket.send(json.dumps(head))
        self.socket.send(frame.tobytes())
        return self.seq

    def receive(self) -> dict[str, Any]:
        """Return the next reply, in the order the frames were sent."""
        return json.loads(self.socket.recv(timeout=self.timeout_s))

    def fit(self, frame: FrameLike, **header: Any) -> dict[str, Any]:
        """Send one frame and return its reply."""
        self.send(frame, **header)
        return self.receive()
