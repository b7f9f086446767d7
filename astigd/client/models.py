"""What the API returns, as small typed records; `raw` keeps the whole JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FINAL_STATES = frozenset({"succeeded", "failed", "cancelled", "interrupted"})


@dataclass(frozen=True)
class Job:
    """A job: which procedure on which scope, its state, and its result or error."""

    id: str
    scope_id: str
    procedure: str
    state: str
    result: dict[str, Any] | None
    error: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        """Build from the API's JSON."""
        names = ("id", "scope_id", "procedure", "state", "result", "error")
        return cls(**{name: data.get(name) for name in names}, raw=data)

    @property
    def finished(self) -> bool:
        """Return whether the job reached a final state."""
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class JobEvent:
    """One event of a job's stream; `seq` counts from 1 without gaps."""

    job_id: str
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobEvent:
        """Build from the API's JSON."""
        names = ("job_id", "seq", "kind", "payload", "created_at")
        return cls(**{name: data[name] for name in names})

    @property
    def final_state(self) -> str | None:
        """Return the final state this event announces, or None."""
        state = self.payload.get("state") if self.kind == "state" else None
        return state if state in FINAL_STATES else None


@dataclass(frozen=True)
class Compensation:
    """The stigmator setting predicted for a defocus from today's calibrations."""

    scope_id: str
    defocus_nm: float
    stig_x: float
    stig_y: float
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Compensation:
        """Build from the API's JSON."""
        names = ("scope_id", "defocus_nm", "stig_x", "stig_y")
        return cls(**{name: data[name] for name in names}, raw=data)


@dataclass(frozen=True)
class LensHistory:
    """Daily lens slope rows; `not_modified` when the server said 304 to our ETag."""

    scope_id: str
    days: list[dict[str, Any]]
    etag: str | None
    not_modified: bool = False
