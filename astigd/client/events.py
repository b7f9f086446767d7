"""Follow a job's events over WS /api/v1/ws/jobs/{id}, resuming with `after_seq` if dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator

from websockets.exceptions import ConnectionClosed

from astigd.client.errors import AstigdClientError
from astigd.client.models import JobEvent
from astigd.client.sockets import open_socket, websocket_url

FELL_BEHIND = 1013
UNKNOWN_JOB = 4404


def follow_events(
    base_url: str, api_key: str | None, job_id: str, after_seq: int, timeout_s: float
) -> Iterator[JobEvent]:
    """Yield the job's events after `after_seq` until its final state event."""
    while True:
        url = websocket_url(base_url, f"/api/v1/ws/jobs/{job_id}?after_seq={after_seq}")
        with open_socket(url, api_key, timeout_s) as socket:
            try:
                while True:
                    event = JobEvent.from_json(json.loads(socket.recv(timeout=timeout_s)))
                    after_seq = event.seq
                    yield event
                    if event.final_state is not None:
                        return
            except TimeoutError:
                raise AstigdClientError(f"no event from job {job_id} in {timeout_s} s") from None
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
                if code == UNKNOWN_JOB:
                    raise AstigdClientError(f"unknown job {job_id}") from None
                if code != FELL_BEHIND:
                    raise AstigdClientError(f"job {job_id}: socket closed ({code})") from None
