"""What the runner holds for a running job: its cancel event and why it was set."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from astigd.app.db.models import JobState

CANCEL_REASON = "cancelled by request"


@dataclass
class JobControl:
    """The cancel switch of a running job; a lost lease also stops it, as a failure."""

    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = CANCEL_REASON
    final_state: JobState = JobState.CANCELLED

    def request_cancel(self, reason: str = CANCEL_REASON) -> None:
        """Stop the job at its next checkpoint, as cancelled."""
        if not self.cancel.is_set():
            self.reason, self.final_state = reason, JobState.CANCELLED
            self.cancel.set()

    def stop_service(self) -> None:
        """Stop the job at its next checkpoint, as interrupted: the service is stopping."""
        if not self.cancel.is_set():
            self.reason, self.final_state = "the service stopped", JobState.INTERRUPTED
            self.cancel.set()

    def lose_lease(self) -> None:
        """Stop the job at its next checkpoint, as failed: another process may take the scope."""
        if not self.cancel.is_set():
            self.reason, self.final_state = "the scope lease was lost", JobState.FAILED
            self.cancel.set()
