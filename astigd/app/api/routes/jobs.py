"""Jobs: submit a procedure on a scope, read jobs and their events, cancel."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import ValidationError

from astigd.app.api.deps import ControlDep, ReadDep, SessionDep
from astigd.app.api.responses import model_json
from astigd.app.core.errors import clean_errors
from astigd.app.core.inventory import SCOPE_ID_PATTERN
from astigd.app.db.models import Job
from astigd.app.jobs.recorder import event_out
from astigd.app.jobs.runner import JobRunner, ScopeBusyError
from astigd.app.jobs.store import events_after, list_jobs
from astigd.app.procedures import PROCEDURES
from astigd.app.schemas.jobs import JobEventModel, JobOut, JobPage, JobStateName, JobSubmit

router = APIRouter(tags=["jobs"])
NOT_FOUND = {404: {"description": "Unknown job"}}
UNPROCESSABLE = 422
PROCEDURE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
MAX_OFFSET = 10_000_000
MAX_SEQ = 2**31 - 1


async def get_runner(request: Request) -> JobRunner:
    """Return the app's job runner."""
    return request.app.state.jobs


RunnerDep = Annotated[JobRunner, Depends(get_runner)]


def validated_params(procedure: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return the procedure's parameters validated and complete; 422 if unknown or invalid."""
    entry = PROCEDURES.get(procedure)
    if entry is None:
        known = ", ".join(sorted(PROCEDURES))
        detail = [{"loc": ["body", "procedure"], "msg": f"unknown procedure; known: {known}",
                   "type": "value_error"}]  # fmt: skip
        raise HTTPException(UNPROCESSABLE, detail)
    try:
        return entry.params.model_validate(params).model_dump(mode="json")
    except ValidationError as error:
        detail = clean_errors(error.errors(include_url=False))
        for item in detail:
            item["loc"] = ["body", "params", *item["loc"]]
        raise HTTPException(UNPROCESSABLE, detail) from None


@router.post(
    "/scopes/{scope_id}/jobs",
    response_model=JobOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        400: {"description": "The body is not JSON"},
        404: {"description": "Unknown scope"},
        409: {"description": "Scope busy and `wait` is false"},
    },
)
async def submit_job(
    scope_id: str, body: JobSubmit, principal: ControlDep, runner: RunnerDep
) -> JobOut:
    """Queue a procedure on a scope; with `wait: false`, refuse (409) when the scope is busy."""
    if scope_id not in runner.handles:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown scope {scope_id!r}")
    params = validated_params(body.procedure, body.params)
    try:
        job = await runner.submit(scope_id, body.procedure, params, principal.prefix, body.wait)
    except ScopeBusyError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
    return JobOut.from_row(job)


@router.get("/jobs", response_model=JobPage)
def list_all_jobs(
    principal: ReadDep,
    session: SessionDep,
    scope_id: Annotated[str | None, Query(pattern=SCOPE_ID_PATTERN)] = None,
    state: JobStateName | None = None,
    procedure: Annotated[str | None, Query(pattern=PROCEDURE_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """Return jobs, newest first, filtered by scope, state and procedure."""
    filters = {"scope_id": scope_id, "state": state, "procedure": procedure}
    jobs = list_jobs(session, filters, limit, offset)
    return model_json(JobPage(items=[JobOut.from_row(j) for j in jobs], limit=limit, offset=offset))


def _job(session: SessionDep, job_id: uuid.UUID) -> Job:
    """Return the job or answer 404."""
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown job {job_id}")
    return job


@router.get("/jobs/{job_id}", response_model=JobOut, responses=NOT_FOUND)
def get_job(job_id: uuid.UUID, principal: ReadDep, session: SessionDep) -> JobOut:
    """Return one job."""
    return JobOut.from_row(_job(session, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=NOT_FOUND)
async def cancel_job(
    job_id: uuid.UUID, principal: ControlDep, session: SessionDep, runner: RunnerDep
) -> JobOut:
    """Cancel a queued job now, or stop a running one at its next safe point (then restore)."""
    _job(session, job_id)
    await runner.cancel(job_id)
    session.expire_all()
    return JobOut.from_row(_job(session, job_id))


@router.get("/jobs/{job_id}/events", response_model=list[JobEventModel], responses=NOT_FOUND)
def list_job_events(
    job_id: uuid.UUID,
    principal: ReadDep,
    session: SessionDep,
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[JobEventModel]:
    """Return the job's stored events with seq > after_seq, in order."""
    _job(session, job_id)
    events = events_after(session, job_id, after_seq, limit)
    return [JobEventModel(**event_out(event).as_json()) for event in events]
