"""Start and stop the job machinery with the app: scopes, runner and acceptance schedule."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass, field

from fastapi import FastAPI

from astigd.app.db.base import utc_now
from astigd.app.jobs.bus import EventBus
from astigd.app.jobs.db_threads import DbThreads
from astigd.app.jobs.execute import Services
from astigd.app.jobs.recorder import EventRecorder
from astigd.app.jobs.runner import JobRunner
from astigd.app.jobs.schedule import acceptance_loop, check_schedule
from astigd.app.scopes.registry import build_registry, close_registry


@dataclass
class RunningJobs:
    """The runner and the background tasks started with the app."""

    runner: JobRunner
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        """Stop the schedule and the runner, then close the scopes."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.runner.stop()
        await self.runner.services.threads.close()
        await close_registry(self.runner.handles)


async def start_jobs(app: FastAPI, executor: Executor) -> RunningJobs:
    """Build the scopes and the runner on app.state, start the workers and the schedule."""
    settings = app.state.settings
    check_schedule(settings.jobs)
    sessions = app.state.sessions
    handles = build_registry(app.state.inventory, sessions, settings.simulator)
    threads = DbThreads()
    recorder = EventRecorder(sessions, EventBus(settings.jobs.subscriber_queue_size), threads)
    spectra = getattr(app.state, "spectra", None)
    services = Services(sessions, recorder, executor, threads, app.state.metrics, spectra)
    runner = JobRunner(handles, services, settings.jobs)
    app.state.scopes, app.state.jobs = handles, runner
    running = RunningJobs(runner)
    if app.state.scopes_registered:
        runner.start()
        clock = getattr(app.state, "clock", utc_now)  # the schedule's clock (UTC now)
        schedule = acceptance_loop(runner, clock)
        running.tasks.append(asyncio.create_task(schedule, name="acceptance"))
    return running
