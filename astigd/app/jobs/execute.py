"""Run one claimed job on its scope: snapshot, procedure, and restore on failure or cancel."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from astigd.app.core.logging import get_logger
from astigd.app.core.metrics import Metrics
from astigd.app.db.base import utc_now
from astigd.app.db.models import Job, JobState
from astigd.app.jobs.control import JobControl
from astigd.app.jobs.db_threads import DbThreads
from astigd.app.jobs.recorder import EventRecorder
from astigd.app.live.spectra import KeptFrames
from astigd.app.procedures import PROCEDURES, ProcedureError
from astigd.app.procedures.optics import pool_fitter
from astigd.app.procedures.recording import db_measurement_recorder
from astigd.app.procedures.runtime import ProcedureRuntime
from astigd.app.procedures.store import DbCalibrationStore
from astigd.app.scopes.registry import ScopeHandle
from astigd.app.scopes.snapshots import snapshot_to_json
from astigd.drivers.records import OpticsSnapshot
from astigd.outputs.records import json_safe

log = get_logger("astigd.jobs")


@dataclass(frozen=True)
class Services:
    """What every job needs: the database, the event recorder and the compute pool."""

    sessions: sessionmaker[Session]
    recorder: EventRecorder
    executor: Executor
    threads: DbThreads
    metrics: Metrics | None = None
    spectra: KeptFrames | None = None  # the newest frame per scope, for the dashboard


async def execute(job: Job, handle: ScopeHandle, control: JobControl, services: Services) -> None:
    """Claim the queued job, run its procedure and leave the job in a final state."""
    try:
        snapshot = await handle.get().snapshot()
    except Exception as error:  # the scope cannot even be read: nothing moved, nothing to restore
        await _finish(services, job, JobState.QUEUED, JobState.FAILED, f"scope: {error}")
        return
    started = {"started_at": utc_now(), "start_snapshot": snapshot_to_json(snapshot)}
    if not await services.recorder.move_state(
        job.id, JobState.QUEUED, JobState.RUNNING, {}, **started
    ):
        return  # cancelled while it waited
    await _run_and_settle(job, handle, snapshot, control, services)


async def _run_and_settle(job, handle, snapshot, control, services) -> None:
    """Run the procedure; on any way out but success, restore the snapshot first."""
    try:
        result = await _procedure(job, handle, snapshot, control, services)
    except asyncio.CancelledError:
        if not control.cancel.is_set():  # the service is stopping
            stopped = JobState.INTERRUPTED, "the service stopped"
            await asyncio.shield(_restore_and_finish(services, job, handle, snapshot, *stopped))
            raise
        await _restore_and_finish(
            services, job, handle, snapshot, control.final_state, control.reason
        )
    except ProcedureError as error:
        await _restore_and_finish(services, job, handle, snapshot, JobState.FAILED, error.reason)
    except Exception as error:
        log.exception("job failed", job_id=str(job.id))
        reason = f"{type(error).__name__}: {error}"
        await _restore_and_finish(services, job, handle, snapshot, JobState.FAILED, reason)
    else:
        await _finish(services, job, JobState.RUNNING, JobState.SUCCEEDED, None, result)


async def _procedure(job, handle, snapshot, control, services) -> dict[str, Any]:
    """Build the runtime and run the job's procedure to its result."""
    procedure = PROCEDURES[job.procedure]
    params = procedure.params.model_validate(job.params)
    sessions, scope_id = services.sessions, handle.scope_id
    calibrations = DbCalibrationStore(sessions, scope_id, job.id)
    runtime = ProcedureRuntime(
        scope=handle.get(),
        scope_id=scope_id,
        start_snapshot=snapshot,
        fit=pool_fitter(services.executor, handle.entry.optics, calibrations=calibrations),
        calibrations=calibrations,
        events=lambda kind, payload: services.recorder.emit(job.id, kind, payload),
        record=db_measurement_recorder(sessions, scope_id, job.id, _keeper(services, handle)),
        cancel=control.cancel,
        executor=services.executor,
    )
    return await procedure.run(runtime, params)


def _keeper(services: Services, handle: ScopeHandle):
    """Return the callback that keeps each fitted frame of the scope, or None."""
    if services.spectra is None:
        return None
    keep = services.spectra.keep_procedure_frame
    return partial(keep, handle.scope_id, defaults=handle.entry.optics)


async def restore(
    services: Services, job: Job, handle: ScopeHandle, snapshot: OpticsSnapshot
) -> str:
    """Return the scope to the snapshot; emit a `restore` event; return '' or the failure."""
    try:
        await handle.get().restore(snapshot)
    except Exception as error:
        problem = f"restore failed: {type(error).__name__}: {error}"
        log.error("restore failed", job_id=str(job.id), error=str(error))
        await services.recorder.emit(job.id, "restore", {"ok": False, "error": problem})
        return problem
    await services.recorder.emit(job.id, "restore", {"ok": True, **snapshot_to_json(snapshot)})
    return ""


async def _restore_and_finish(services, job, handle, snapshot, state: JobState, reason: str):
    """Restore the start snapshot, then finish the running job in `state`."""
    problem = await restore(services, job, handle, snapshot)
    error = f"{reason}; {problem}" if problem else reason
    await _finish(services, job, JobState.RUNNING, state, error)


async def _finish(services, job, old: JobState, new: JobState, error, result=None) -> None:
    """Move the job to its final state with the terminal state event."""
    details = {"error": error, "result": json_safe(result)}
    values = {"finished_at": utc_now(), **details}
    moved = await services.recorder.move_state(job.id, old, new, details, **values)
    if moved and services.metrics is not None:
        services.metrics.job_finished(job.scope_id, job.procedure, new.value, details["result"])
