"""Dependencies as `Annotated` aliases: settings, session, pool, metrics, and authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from astigd.app.core.config import Settings
from astigd.app.core.inventory import Inventory
from astigd.app.core.key_cache import KeyCache
from astigd.app.core.metrics import Metrics
from astigd.app.core.security import KeyScope, grants
from astigd.app.db.keys import authenticate


async def get_settings(request: Request) -> Settings:
    """Return the app's settings.

    Dependencies that only read app state are async, so FastAPI need not hop to a worker
    thread for them (each hop costs about a millisecond under load).
    """
    return request.app.state.settings


async def get_inventory(request: Request) -> Inventory:
    """Return the scope inventory."""
    return request.app.state.inventory


async def get_sessions(request: Request) -> sessionmaker[Session]:
    """Return the session factory (for work done off the request's thread)."""
    return request.app.state.sessions


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Yield a database session for one request.

    The dependency is async on purpose: a sync one would need a worker thread to close the
    session after the response, and under load every worker thread can be waiting for a pooled
    connection that only such a close would return (FastAPI's known threadpool deadlock). The
    session connects lazily in the endpoint's thread; closing it just returns the connection.
    """
    with request.app.state.sessions() as session:
        yield session


async def get_executor(request: Request) -> Executor:
    """Return the compute pool."""
    return request.app.state.executor


async def get_metrics(request: Request) -> Metrics:
    """Return the app's metrics."""
    return request.app.state.metrics


SettingsDep = Annotated[Settings, Depends(get_settings)]
InventoryDep = Annotated[Inventory, Depends(get_inventory)]
SessionDep = Annotated[Session, Depends(get_session)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]

bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key.")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's prefix, scopes and name, or anonymous (prefix None)."""

    prefix: str | None
    scopes: tuple[str, ...]
    name: str | None = None


ANONYMOUS_READER = Principal(None, ("read",))


def require(needed: KeyScope) -> Callable[..., Awaitable[Principal]]:
    """Return a dependency that admits callers whose key grants `needed` (401/403 otherwise)."""

    async def check(
        request: Request,
        settings: SettingsDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        header_key: Annotated[str | None, Depends(api_key_header)],
    ) -> Principal:
        presented = credentials.credentials if credentials else header_key
        if not presented:
            if needed == "read" and settings.auth.anonymous_read:
                return ANONYMOUS_READER
            raise _unauthorized("an API key is required (Authorization: Bearer KEY or X-API-Key)")
        principal = await _principal(request.app.state, presented)
        if principal is None:
            raise _unauthorized("the API key is unknown or revoked")
        if not grants(principal.scopes, needed):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this key lacks the {needed!r} scope")
        return principal

    return check


async def _principal(state: State, presented: str) -> Principal | None:
    """Return who a presented key is: from the key cache, else from the database."""
    cache: KeyCache[Principal] = state.key_cache
    principal = cache.get(presented)
    if principal is None:
        principal = await run_in_threadpool(_look_up, state.sessions, presented)
        if principal is not None:
            cache.put(presented, principal)
    return principal


def _look_up(sessions: sessionmaker[Session], presented: str) -> Principal | None:
    with sessions() as session:
        key = authenticate(session, presented)
        return None if key is None else Principal(key.prefix, tuple(key.scopes), key.name)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


ReadDep = Annotated[Principal, Depends(require("read"))]
ControlDep = Annotated[Principal, Depends(require("control"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
