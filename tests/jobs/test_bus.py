"""The event bus never blocks the publisher: a subscriber that falls behind is dropped."""

from __future__ import annotations

import uuid

from astigd.app.jobs.bus import DROPPED, EventBus, JobEventOut


def event(job_id: uuid.UUID, seq: int) -> JobEventOut:
    return JobEventOut(job_id, seq, "step", {}, "2026-11-22T00:00:00+00:00")


def test_a_full_subscriber_is_dropped_while_others_keep_receiving() -> None:
    job_id, bus = uuid.uuid4(), EventBus(queue_size=3)
    slow, fast = bus.subscribe(job_id), bus.subscribe(job_id)
    for seq in range(1, 6):
        bus.publish(event(job_id, seq))
        fast.queue.get_nowait()
    received = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
    assert [e.seq for e in received[:-1]] == [1, 2, 3] and received[-1] is DROPPED
    assert slow.dropped and not fast.dropped and bus.subscriber_count(job_id) == 1
