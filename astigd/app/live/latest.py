"""Latest-wins fitting: one fit runs, at most one frame waits (the newest); replies stay in order.

Every received message gets a reply slot in arrival order. A frame that is overtaken while it
waits gets `{"dropped": true, "reason": "busy"}` at once; its slot still leaves in order. A job's
work may return its reply, or a tail (storing, advising) that finishes it while the next fit runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Reply = dict[str, Any]
Work = Callable[[], Awaitable[Reply | Awaitable[Reply]]]


@dataclass(eq=False)
class Job:
    """A frame waiting to be fitted and the slot its reply goes into."""

    seq: int
    work: Work
    reply: asyncio.Future[Reply] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def dropped(seq: int) -> Reply:
    """Return the reply for a frame overtaken by a newer one."""
    return {"type": "dropped", "seq": seq, "dropped": True, "reason": "busy"}


class LatestWins:
    """Run one job at a time; keep only the newest waiting job, dropping the one it replaces."""

    def __init__(self, on_error: Callable[[int, BaseException], Reply]) -> None:
        """Turn a job's unexpected exception into its reply with `on_error`."""
        self._pending: Job | None = None
        self._wake = asyncio.Event()
        self._on_error = on_error
        self._tails: set[asyncio.Task[None]] = set()

    def submit(self, job: Job) -> None:
        """Make `job` the one waiting; a job already waiting is answered as dropped."""
        if self._pending is not None:
            self._pending.reply.set_result(dropped(self._pending.seq))
        self._pending = job
        self._wake.set()

    async def run(self) -> None:
        """Fit waiting jobs one after another, until cancelled (which cancels their tails too)."""
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                job, self._pending = self._pending, None
                if job is not None:
                    await self._start(job)
        finally:
            for tail in self._tails:
                tail.cancel()

    async def _start(self, job: Job) -> None:
        """Run a job's work; answer it now, or let its tail answer it in the background."""
        try:
            outcome = await job.work()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return job.reply.set_result(self._on_error(job.seq, error))
        if isinstance(outcome, dict):
            return job.reply.set_result(outcome)
        tail = asyncio.create_task(self._finish(job, outcome))
        self._tails.add(tail)
        tail.add_done_callback(self._tails.discard)

    async def _finish(self, job: Job, tail: Awaitable[Reply]) -> None:
        try:
            job.reply.set_result(await tail)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            job.reply.set_result(self._on_error(job.seq, error))


class Outbox:
    """Reply slots in arrival order; `run` sends each as soon as it and all before it are ready."""

    def __init__(self, send: Callable[[Reply], Awaitable[None]]) -> None:
        """Send replies with `send`."""
        self._slots: asyncio.Queue[asyncio.Future[Reply]] = asyncio.Queue()
        self._send = send

    def slot(self, future: asyncio.Future[Reply]) -> None:
        """Reserve the next place in the reply order for `future`."""
        self._slots.put_nowait(future)

    def ready(self, reply: Reply) -> None:
        """Reserve the next place for a reply that is ready now."""
        future = asyncio.get_running_loop().create_future()
        future.set_result(reply)
        self.slot(future)

    async def run(self) -> None:
        """Send replies in order, until cancelled."""
        while True:
            future = await self._slots.get()
            await self._send(await future)
