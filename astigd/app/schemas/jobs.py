"""Jobs over HTTP: the submission, the job, its events, and a scope's live state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from astigd.app.db.models import Job

JobStateName = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]


class JobSubmit(BaseModel):
    """A job to run: a procedure by name, its parameters, and whether to queue behind others."""

    model_config = ConfigDict(extra="forbid")

    procedure: str = Field(max_length=64, examples=["correct"])
    params: dict[str, Any] = {}
    wait: bool = True  # False: answer 409 instead of queueing when the scope is busy


class JobOut(BaseModel):
    """A job: what it runs on which scope, where it is, and how it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    scope_id: str
    procedure: str
    params: dict[str, Any]
    state: JobStateName
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    start_snapshot: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None

    @classmethod
    def from_row(cls, job: Job) -> JobOut:
        """Build from a job row."""
        return cls.model_validate(job)


class JobPage(BaseModel):
    """A page of jobs, newest first."""

    items: list[JobOut]
    limit: int
    offset: int


class JobEventModel(BaseModel):
    """One event of a job's stream; `seq` counts from 1 without gaps."""

    job_id: uuid.UUID
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


class LeaseOut(BaseModel):
    """The scope's lease row: which process holds it, for which job, until when."""

    holder: str
    job_id: uuid.UUID | None
    acquired_at: datetime
    expires_at: datetime
    alive: bool


class ScopeStateOut(BaseModel):
    """A scope's optics read now, and what is driving it."""

    scope_id: str
    ht_kv: float
    mag_index: int
    magnification: float
    pixel_size_A: float
    probe_mode: str | None
    alpha: int | None
    defocus_nm: float
    stig_x: float
    stig_y: float
    beam_tilt_mrad: list[float]
    read_at: datetime
    busy_job_id: uuid.UUID | None
    lease: LeaseOut | None
