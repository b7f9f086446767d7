"""The typed refusal a procedure raises; the job runner turns it into a failed job."""

from __future__ import annotations


class ProcedureError(Exception):
    """A procedure refused or stopped for a stated reason (the scope is left safe)."""

    def __init__(self, reason: str) -> None:
        """Keep the reason, which is what the job's error says."""
        super().__init__(reason)
        self.reason = reason
