"""API keys: generation, salted scrypt hashing, and what each key scope grants.

A key reads `astigd_<prefix>_<secret>`. The prefix is stored in clear to find the row; only a
salted scrypt hash of the secret is stored. Scopes nest: `admin` grants `control`, which grants
`read`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Literal, NamedTuple

KeyScope = Literal["read", "control", "admin"]
KEY_SCOPES: tuple[KeyScope, ...] = ("read", "control", "admin")
KEY_MARK = "astigd"
PREFIX_HEX_CHARS = 8
PREFIX_TEXT = re.compile(f"[0-9a-f]{{{PREFIX_HEX_CHARS}}}")
# Secrets are 256-bit random, so a light scrypt suffices; the cost stays low per request.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**11, 8, 1


class NewKey(NamedTuple):
    """A freshly generated key: the whole key (shown once), its prefix and its secret."""

    key: str
    prefix: str
    secret: str


def generate_key() -> NewKey:
    """Return a new random key."""
    prefix = secrets.token_hex(PREFIX_HEX_CHARS // 2)
    secret = secrets.token_urlsafe(32)
    return NewKey(f"{KEY_MARK}_{prefix}_{secret}", prefix, secret)


def split_key(key: str) -> tuple[str, str] | None:
    """Return (prefix, secret) of a well-formed key, or None."""
    mark, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != KEY_MARK or not PREFIX_TEXT.fullmatch(prefix) or not secret:
        return None
    return prefix, secret


def hash_secret(secret: str) -> str:
    """Return `scrypt$n$r$p$salt$hash` for a secret, with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


# Stored hash → SHA-256 of the secret that last matched it. scrypt runs once per key and
# process; later requests compare a fast digest. Revocation is still read from the row each time.
_VERIFIED: dict[str, bytes] = {}
_VERIFIED_MAX = 1024


def verify_secret(secret: str, stored: str) -> bool:
    """Return whether a secret matches a stored hash (constant-time comparison)."""
    fast = hashlib.sha256(secret.encode()).digest()
    if hmac.compare_digest(_VERIFIED.get(stored, b""), fast):
        return True
    if not _verify_scrypt(secret, stored):
        return False
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[stored] = fast
    return True


def _verify_scrypt(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(secret, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32)


def grants(held: Iterable[str], needed: KeyScope) -> bool:
    """Return whether a key holding `held` scopes may act with scope `needed`."""
    rank = {scope: level for level, scope in enumerate(KEY_SCOPES)}
    return any(rank.get(scope, -1) >= rank[needed] for scope in held)
