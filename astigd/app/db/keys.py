"""API keys in the database: create, list, revoke, and authenticate a presented key."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from astigd.app.core.security import (
    KEY_SCOPES,
    generate_key,
    hash_secret,
    split_key,
    verify_secret,
)
from astigd.app.db.base import utc_now
from astigd.app.db.models import ApiKey


def create_key(session: Session, scopes: Sequence[str], name: str | None = None) -> str:
    """Store a new key with these scopes and return the whole key (shown only this once)."""
    unknown = sorted(set(scopes) - set(KEY_SCOPES))
    if unknown or not scopes:
        raise ValueError(f"key scopes must be some of {', '.join(KEY_SCOPES)}; got {unknown}")
    new = generate_key()
    ordered = [scope for scope in KEY_SCOPES if scope in scopes]
    session.add(
        ApiKey(prefix=new.prefix, name=name, secret_hash=hash_secret(new.secret), scopes=ordered)
    )
    session.commit()
    return new.key


def list_keys(session: Session) -> list[ApiKey]:
    """Return every key, oldest first (revoked ones included)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(session: Session, prefix: str) -> ApiKey | None:
    """Mark the key with this prefix revoked; return it, or None if there is no such key."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is not None and key.revoked_at is None:
        key.revoked_at = utc_now()
        session.commit()
    return key


def any_key_exists(session: Session) -> bool:
    """Return whether any key, revoked or not, was ever created."""
    return bool(session.scalar(select(exists().where(ApiKey.id.is_not(None)))))


def authenticate(session: Session, presented: str) -> ApiKey | None:
    """Return the live key matching a presented key string, or None."""
    parts = split_key(presented)
    if parts is None:
        return None
    prefix, secret = parts
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None or not verify_secret(secret, key.secret_hash):
        return None
    return key


def create_first_admin_key(session: Session) -> str | None:
    """Create an admin key if no key was ever created, and return it; else return None."""
    if any_key_exists(session):
        return None
    return create_key(session, ["admin"], name="first-start admin key")
