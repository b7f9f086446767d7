"""WebSocket /ws/jobs/{id}: a job's stored events after `after_seq`, then live ones.

The key is checked before the socket is accepted (Authorization: Bearer, X-API-Key, or the
`api_key` query for browsers); a bad key closes with 4001, an unknown job with 4404. Every
message is one event with its `seq`. The socket closes normally after the job's final state
event. A subscriber that falls behind is closed with 1013 and reconnects with `after_seq`.
"""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from astigd.app.core.security import grants
from astigd.app.db.keys import authenticate
from astigd.app.db.models import Job, JobEvent
from astigd.app.jobs.bus import DROPPED, JobEventOut, Subscription
from astigd.app.jobs.recorder import event_out
from astigd.app.jobs.store import FINAL_STATES, STATE_EVENT, events_after
from astigd.app.schemas.jobs import JobEventModel

router = APIRouter(tags=["jobs"])
BAD_KEY, UNKNOWN_JOB, FELL_BEHIND = 4001, 4404, status.WS_1013_TRY_AGAIN_LATER
REPLAY_PAGE = 500
MAX_SEQ = 2**31 - 1


def presented_key(websocket: WebSocket) -> str | None:
    """Return the key from the Authorization or X-API-Key header, or the api_key query."""
    authorization = websocket.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return websocket.headers.get("x-api-key") or websocket.query_params.get("api_key")


def may_read(websocket: WebSocket, sessions: sessionmaker[Session]) -> bool:
    """Return whether the presented key (or anonymous access) grants `read`."""
    key = presented_key(websocket)
    if not key:
        return websocket.app.state.settings.auth.anonymous_read
    with sessions() as session:
        found = authenticate(session, key)
    return found is not None and grants(found.scopes, "read")


def message(event: JobEventOut) -> dict:
    """Return the event as sent: the same JSON as GET /jobs/{id}/events."""
    return JobEventModel(**event.as_json()).model_dump(mode="json")


def is_final(event: JobEventOut) -> bool:
    """Return whether an event is the job's final state event."""
    return event.kind == STATE_EVENT and event.payload.get("state") in FINAL_STATES


@router.websocket("/ws/jobs/{job_id}")
async def job_events_socket(websocket: WebSocket, job_id: uuid.UUID, after_seq: int = 0) -> None:
    """Stream the job's events after `after_seq`, then live ones, until its final state."""
    sessions = websocket.app.state.sessions
    if not await asyncio.to_thread(may_read, websocket, sessions):
        await websocket.close(BAD_KEY, "the API key is missing, unknown, revoked or lacks read")
        return
    if await asyncio.to_thread(_job_exists, sessions, job_id) is False:
        await websocket.close(UNKNOWN_JOB, f"unknown job {job_id}")
        return
    await websocket.accept()
    bus = websocket.app.state.jobs.services.recorder.bus
    subscription = bus.subscribe(job_id)  # before the replay, so nothing falls in between
    try:
        await _stream(websocket, sessions, subscription, min(max(after_seq, 0), MAX_SEQ))
    except WebSocketDisconnect:
        pass
    finally:
        bus.unsubscribe(subscription)


def _job_exists(sessions: sessionmaker[Session], job_id: uuid.UUID) -> bool:
    with sessions() as session:
        return session.get(Job, job_id) is not None


async def _stream(websocket, sessions, subscription: Subscription, last_seq: int) -> None:
    """Replay stored events, then forward live ones with seq beyond the last sent."""
    last_seq, done = await _replay(websocket, sessions, subscription.job_id, last_seq)
    done = done or await asyncio.to_thread(_ended_by, sessions, subscription.job_id, last_seq)
    receiver = asyncio.create_task(websocket.receive())  # notices the client leaving
    try:
        while not done:
            event = await _next(subscription, receiver)
            if event is DROPPED:
                await websocket.close(FELL_BEHIND, "fell behind: reconnect with after_seq")
                return
            if event.seq > last_seq + 1:  # never expected: fill any gap from the database
                last_seq, done = await _replay(websocket, sessions, event.job_id, last_seq)
                continue
            if event.seq == last_seq + 1:
                await websocket.send_json(message(event))
                last_seq, done = event.seq, is_final(event)
        await websocket.close()
    finally:
        receiver.cancel()


async def _replay(websocket, sessions, job_id: uuid.UUID, last_seq: int) -> tuple[int, bool]:
    """Send stored events after last_seq; return the last seq sent and whether it was final."""
    while True:
        page = await asyncio.to_thread(_page, sessions, job_id, last_seq)
        for event in page:
            await websocket.send_json(message(event))
            last_seq = event.seq
            if is_final(event):
                return last_seq, True
        if len(page) < REPLAY_PAGE:
            return last_seq, False


def _ended_by(sessions, job_id: uuid.UUID, seq: int) -> bool:
    """Return whether the job's final state event has seq <= `seq` (the client has it)."""
    with sessions() as session:
        last = session.scalars(
            select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.seq.desc()).limit(1)
        ).first()
    return last is not None and last.seq <= seq and is_final(event_out(last))


def _page(sessions, job_id: uuid.UUID, after_seq: int) -> list[JobEventOut]:
    with sessions() as session:
        return [event_out(e) for e in events_after(session, job_id, after_seq, REPLAY_PAGE)]


async def _next(subscription: Subscription, receiver: asyncio.Task) -> JobEventOut | None:
    """Return the next live event; raise WebSocketDisconnect when the client has left."""
    getter = asyncio.create_task(subscription.queue.get())
    finished, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
    if getter in finished:
        return getter.result()
    getter.cancel()
    message = receiver.result()
    raise WebSocketDisconnect(message.get("code", 1000) if message else 1000)
