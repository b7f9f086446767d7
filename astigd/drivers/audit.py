"""The audit hook: every optics change is reported as a typed record."""

from __future__ import annotations

import logging
from collections.abc import Callable

from astigd.drivers.records import AuditRecord

AuditHook = Callable[[AuditRecord], None]

log = logging.getLogger(__name__)


def no_audit(record: AuditRecord) -> None:
    """Drop the record (the default when no hook is configured)."""


def emit(hook: AuditHook, record: AuditRecord) -> None:
    """Hand the record to the hook; a failing hook is logged, never fatal to the move."""
    try:
        hook(record)
    except Exception:
        log.exception("audit hook failed for %s", record)
