"""Liveness and readiness answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    """The process is up."""

    status: Literal["ok"] = "ok"
    version: str


class Readiness(BaseModel):
    """Whether the service can do its work; `reasons` says what is missing when it cannot."""

    status: Literal["ready", "not ready"]
    database_revision: list[str]
    pool_alive: bool
    reasons: list[str]
