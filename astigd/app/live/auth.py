"""Authenticate a WebSocket before accepting it: Bearer header, X-API-Key, or `?api_key=`."""

from __future__ import annotations

from fastapi import WebSocket
from starlette.concurrency import run_in_threadpool

from astigd.app.api.deps import ANONYMOUS_READER, Principal
from astigd.app.core.security import KeyScope, grants
from astigd.app.db.keys import authenticate

BAD_KEY_CLOSE_CODE = 4001


def presented_key(websocket: WebSocket) -> str | None:
    """Return the key the client presented, in order: Authorization, X-API-Key, query."""
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return websocket.headers.get("x-api-key") or websocket.query_params.get("api_key") or None


async def socket_principal(websocket: WebSocket, needed: KeyScope = "read") -> Principal | None:
    """Return who is calling, or None when the key is missing, unknown, revoked or too weak."""
    presented = presented_key(websocket)
    if not presented:
        anonymous = needed == "read" and websocket.app.state.settings.auth.anonymous_read
        return ANONYMOUS_READER if anonymous else None

    def lookup() -> Principal | None:
        with websocket.app.state.sessions() as session:
            key = authenticate(session, presented)
            if key is None or not grants(key.scopes, needed):
                return None
            return Principal(key.prefix, tuple(key.scopes), key.name)

    return await run_in_threadpool(lookup)
