"""WS /ws/fit: stream frames, get one fit (or a drop, or an error) per frame, in order."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from astigd.app.live.auth import BAD_KEY_CLOSE_CODE, socket_principal
from astigd.app.live.session import LiveSession

router = APIRouter(tags=["live"])


@router.websocket("/ws/fit")
async def live_fit(websocket: WebSocket) -> None:
    """Authenticate (before accepting), then fit the client's frames latest-wins.

    Per frame the client sends a JSON header `{"seq", "dtype", "shape", "pixel_size_A", "kv",
    "cs_mm", ...}` then the raw array as one binary message. Each frame gets one reply, in
    order: `{"type": "fit", ...}`, `{"type": "dropped", "dropped": true, "reason": "busy"}`
    or `{"type": "error", "error": ...}`. A bad key closes with 4001.
    """
    if await socket_principal(websocket) is None:
        await websocket.close(BAD_KEY_CLOSE_CODE, "an API key with the read scope is required")
        return
    await websocket.accept()
    await LiveSession(websocket).serve()
