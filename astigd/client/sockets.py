"""Open the API's WebSockets with the client's key, turning refusals into ApiError."""

from __future__ import annotations

from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from astigd.client.errors import ApiError

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def websocket_url(base_url: str, path: str) -> str:
    """Return the ws:// (or wss://) URL of an API path under an http(s):// base URL."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{path}"


def open_socket(url: str, api_key: str | None, timeout_s: float) -> ClientConnection:
    """Connect with the key in the Authorization header; a refused key raises ApiError."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    try:
        return connect(
            url,
            additional_headers=headers,
            open_timeout=timeout_s,
            max_size=MAX_MESSAGE_BYTES,
            proxy=None,
        )
    except InvalidStatus as error:
        status, why = error.response.status_code, "the API key is missing, unknown or too weak"
        raise ApiError(status, why, "WS", url) from None
