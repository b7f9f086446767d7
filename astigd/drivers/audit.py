"""The audit hook: every optics change is reported as a typed record."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from astigd.drivers.records import AuditRecord

# A hook may be a plain function or return an awaitable (one that writes off the event loop).
AuditHook = Callable[[AuditRecord], Awaitable[None] | None]

log = logging.getLogger(__name__)


def no_audit(record: AuditRecord) -> None:
    """Drop the record (the default when no hook is configured)."""


async def emit(hook: AuditHook, record: AuditRecord) -> None:
    """Hand the record to the hook; a failing hook is logged, never fatal to the move."""
    try:
        written = hook(record)
        if inspect.isawaitable(written):
            await written
    except Exception:
        log.exception("audit hook failed for %s", record)
