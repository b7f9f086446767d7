"""Publish stored job events to subscribers, each with its own bounded queue.

Publishing never waits: a subscriber whose queue is full is dropped (its queue ends with
DROPPED) and must reconnect with `after_seq` to replay from the database.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

DROPPED = None  # the marker a dropped subscriber reads last


@dataclass(frozen=True)
class JobEventOut:
    """A stored event as subscribers see it."""

    job_id: uuid.UUID
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: str

    def as_json(self) -> dict[str, Any]:
        """Return the event as a JSON-ready dict."""
        return {
            "job_id": str(self.job_id),
            "seq": self.seq,
            "kind": self.kind,
            "payload": self.payload,
            "created_at": self.created_at,
        }


@dataclass(eq=False)
class Subscription:
    """One subscriber's bounded queue of events; `dropped` once it fell behind."""

    job_id: uuid.UUID
    queue: asyncio.Queue[JobEventOut | None]
    dropped: bool = field(default=False)


class EventBus:
    """Fan job events out to subscribers without ever blocking the publisher."""

    def __init__(self, queue_size: int) -> None:
        """Give each subscriber a queue of `queue_size` events."""
        self.queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[Subscription]] = {}

    def subscribe(self, job_id: uuid.UUID) -> Subscription:
        """Start receiving the job's events (subscribe before replaying stored ones)."""
        subscription = Subscription(job_id, asyncio.Queue(self.queue_size + 1))
        self._subscribers.setdefault(job_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop receiving events."""
        subscribers = self._subscribers.get(subscription.job_id, set())
        subscribers.discard(subscription)
        if not subscribers:
            self._subscribers.pop(subscription.job_id, None)

    def publish(self, event: JobEventOut) -> None:
        """Hand the event to every subscriber of its job; drop those that are full."""
        for subscription in list(self._subscribers.get(event.job_id, ())):
            if subscription.queue.qsize() >= self.queue_size:
                self._drop(subscription)
            else:
                subscription.queue.put_nowait(event)

    def _drop(self, subscription: Subscription) -> None:
        """Mark a slow subscriber dropped; its queue ends with the DROPPED marker."""
        subscription.dropped = True
        subscription.queue.put_nowait(DROPPED)  # the one spare slot
        self.unsubscribe(subscription)

    def subscriber_count(self, job_id: uuid.UUID) -> int:
        """Return how many subscribers the job has."""
        return len(self._subscribers.get(job_id, ()))
