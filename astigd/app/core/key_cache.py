"""A short-lived in-process memory of accepted API keys, so pollers skip the database.

Only accepted keys are kept, by the SHA-256 of the presented text (never the text itself), for
`ttl_s` seconds. A key revoked from another process (`astigd keys revoke`) therefore stops
working within `ttl_s`; `ttl_s = 0` checks the database on every request.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Generic, TypeVar

Value = TypeVar("Value")


class KeyCache(Generic[Value]):
    """Accepted keys and who they are, each for `ttl_s` seconds, at most `max_keys` of them."""

    def __init__(self, ttl_s: float, max_keys: int = 1024) -> None:
        self.ttl_s, self.max_keys = ttl_s, max_keys
        self._entries: OrderedDict[bytes, tuple[float, Value]] = OrderedDict()

    def get(self, presented: str) -> Value | None:
        """Return what was remembered for this key, or None if unknown or expired."""
        entry = self._entries.get(_digest(presented))
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, presented: str, value: Value) -> None:
        """Remember an accepted key for `ttl_s` seconds."""
        if self.ttl_s <= 0:
            return
        digest = _digest(presented)
        self._entries.pop(digest, None)
        self._entries[digest] = (time.monotonic() + self.ttl_s, value)
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)


def _digest(presented: str) -> bytes:
    return hashlib.sha256(presented.encode()).digest()
