"""One live-fit connection: read header + array pairs, fit latest-wins, reply in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

import numpy as np
from fastapi import HTTPException, WebSocket
from starlette.concurrency import run_in_threadpool

from astigd.app.api.fit_calibrations import with_stored_calibrations
from astigd.app.api.fit_inputs import FitInputs, resolve_fit_inputs
from astigd.app.api.routes.fit import _fit as fit_in_pool_timed
from astigd.app.core.logging import get_logger
from astigd.app.db.measurements import store_fit
from astigd.app.live.advice import advise
from astigd.app.live.frames import FrameError, FrameHeader, decode_frame, parse_header
from astigd.app.live.latest import Job, LatestWins, Outbox, Reply
from astigd.app.schemas.fits import FitResult
from astigd.workers.results import CtfFit

SOURCE = "live"
log = get_logger("astigd.live")


def error_reply(seq: Any, reason: str) -> Reply:
    """Return the reply for a message that could not be used."""
    return {"type": "error", "seq": seq, "error": reason}


def unexpected(seq: int, error: BaseException) -> Reply:
    """Log an unexpected failure and return a reply that does not leak internals."""
    log.error("live fit failed", seq=seq, exc_info=error)
    return error_reply(seq, f"internal error while fitting ({type(error).__name__})")


class LiveSession:
    """Serve one accepted WebSocket until the client goes away."""

    def __init__(self, websocket: WebSocket) -> None:
        """Take the app's settings, inventory, pool, sessions and metrics."""
        self.ws, state = websocket, websocket.app.state
        self.settings, self.inventory, self.sessions = (
            state.settings,
            state.inventory,
            state.sessions,
        )
        self.executor, self.metrics = state.executor, state.metrics
        self.outbox = Outbox(websocket.send_json)
        self.fitter = LatestWins(unexpected)
        self.header: FrameHeader | None = None
        self.expect_array = False  # a header (good or refused) came; its array is next

    async def serve(self) -> None:
        """Run the reader, with the fitter and the sender beside it."""
        tasks = [asyncio.create_task(self.fitter.run()), asyncio.create_task(self.outbox.run())]
        try:
            await self._read()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _read(self) -> None:
        """Dispatch messages until the client disconnects."""
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                self._on_header(message["text"])
            elif message.get("bytes") is not None:
                self._on_array(message["bytes"], time.perf_counter())

    def _on_header(self, text: str) -> None:
        if self.expect_array and self.header is not None:
            self.outbox.ready(error_reply(self.header.seq, "no array followed the header"))
        self.header, seq, problem = parse_header(text)
        self.expect_array = True
        if problem is not None:
            self.outbox.ready(error_reply(seq, problem))

    def _on_array(self, body: bytes, received_s: float) -> None:
        header, expected = self.header, self.expect_array
        self.header, self.expect_array = None, False
        if header is None:
            if not expected:  # a refused header's array was answered with the header's error
                self.outbox.ready(error_reply(None, "an array arrived without a header"))
            return
        try:
            frame = decode_frame(header, body, self.settings.limits.max_upload_bytes)
            inputs = resolve_fit_inputs(header.fit_query(self.inventory), self.inventory)
        except FrameError as error:
            return self.outbox.ready(error_reply(header.seq, str(error)))
        except HTTPException as error:
            return self.outbox.ready(error_reply(header.seq, str(error.detail)))
        job = Job(header.seq, lambda: self._fit(header, frame, inputs, received_s))
        self.outbox.slot(job.reply)
        self.fitter.submit(job)

    async def _fit(
        self, header: FrameHeader, frame: np.ndarray, inputs: FitInputs, t0: float
    ) -> Reply | Awaitable[Reply]:
        """Fit in the pool; return an error reply, or the tail that stores and answers."""
        inputs = await run_in_threadpool(
            with_stored_calibrations, self.sessions, header.scope_id, header.mag_index, inputs,
            header.pixel_size_A is not None, False,
        )  # fmt: skip
        try:
            fit = await fit_in_pool_timed(
                frame, inputs, header.scope_id, self.executor, self.metrics
            )
        except HTTPException as error:
            return error_reply(header.seq, str(error.detail))
        return self._answer(header, fit, inputs, t0, frame)

    async def _answer(
        self, header: FrameHeader, fit: CtfFit, inputs: FitInputs, t0: float, frame: np.ndarray
    ) -> Reply:
        """Store the measurement, add advice; return the reply (runs beside the next fit)."""
        measurement_id, advice = await run_in_threadpool(
            self._store_and_advise, header, fit, inputs
        )
        if header.scope_id is not None:
            self.ws.app.state.spectra.keep(header.scope_id, measurement_id, frame, inputs.optics)
        result = FitResult.from_fit(fit, measurement_id, header.scope_id).model_dump(mode="json")
        reply = {"type": "fit", "seq": header.seq, **result}
        reply["latency_ms"] = (time.perf_counter() - t0) * 1000.0
        if advice is not None:
            reply["advice"] = advice
        return reply

    def _store_and_advise(
        self, header: FrameHeader, fit: CtfFit, inputs: FitInputs
    ) -> tuple[int, Reply | None]:
        """Write the measurement and work out the advice, in one short session."""
        snapshot = {**inputs.snapshot, "mag_index": header.mag_index, "seq": header.seq}
        snapshot["stig"] = _stig(header)
        with self.sessions() as session:
            row = store_fit(session, fit, SOURCE, header.scope_id, None, snapshot)
            if not header.wants_advice:
                return row.id, None
            max_age_h = self.settings.calibration.max_age_h
            return row.id, advise(session, header, fit, inputs.optics.kv, max_age_h)


def _stig(header: FrameHeader) -> list[float] | None:
    if header.stig_x is None or header.stig_y is None:
        return None
    return [header.stig_x, header.stig_y]
