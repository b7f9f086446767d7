"""Fault injection: what can go wrong with a scope, when, and how often."""

from __future__ import annotations

import fnmatch
import threading
import time
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal[
    "busy",  # answer 503: the scope is normalizing lenses or exposing
    "timeout",  # answer only after `delay_s`
    "drop",  # close the connection without answering
    "out_of_range",  # refuse a set with a vendor error (500)
    "blank_frame",  # the next frame sees no beam (fires on acquisitions only)
    "no_thon_rings",  # the next frame shows no CTF, as over vacuum (acquisitions only)
    "sudden_drift",  # the lens astigmatism jumps by `drift_vec_nm` and stays there
    "focus_jump",  # the specimen height jumps by `focus_jump_nm` (stage reading unchanged), stays
    "dim_beam",  # the beam current falls to `dose_fraction` of nominal and stays there
]
TRANSPORT_KINDS = frozenset({"busy", "timeout", "drop", "out_of_range"})
NETWORK_KINDS = frozenset({"timeout", "drop"})
SERVER_ONLY_ENDPOINTS = frozenset({"version"})  # temscript answers these without the scope
FRAME_KINDS = frozenset({"blank_frame", "no_thon_rings"})


class FaultSpec(BaseModel):
    """One fault: its kind and the requests it fires on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: FaultKind
    endpoint: str = "*"  # glob over the endpoint after /v1/, e.g. "acquire", "objective_*"
    method: Literal["GET", "PUT", "*"] = "*"
    after: int = Field(0, ge=0)  # let this many matching requests pass first
    count: int | None = Field(1, ge=1)  # fire this many times; None fires forever
    probability: float = Field(1.0, ge=0.0, le=1.0)
    delay_s: float = Field(5.0, ge=0.0)  # for "timeout", real seconds
    drift_vec_nm: tuple[float, float] = (50.0, 0.0)  # for "sudden_drift"
    focus_jump_nm: float = 500.0  # for "focus_jump", more underfocus when positive
    dose_fraction: float = Field(0.2, gt=0.0, le=1.0)  # for "dim_beam"

    def matches(self, method: str, endpoint: str) -> bool:
        """Return whether a request falls under this fault."""
        if endpoint in SERVER_ONLY_ENDPOINTS and self.kind not in NETWORK_KINDS:
            return False
        if self.kind in FRAME_KINDS and endpoint != "acquire":
            return False
        method_ok = self.method in ("*", method)
        return method_ok and fnmatch.fnmatchcase(endpoint, self.endpoint)


class _Armed:
    """A fault with its counters."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self.seen = 0
        self.fired = 0

    @property
    def exhausted(self) -> bool:
        return self.spec.count is not None and self.fired >= self.spec.count


class FaultInjector:
    """Decide, per request, which armed faults fire; thread-safe and seeded."""

    def __init__(self, specs: tuple[FaultSpec, ...] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = np.random.default_rng([seed, 0xFA017])
        self._armed = [_Armed(spec) for spec in specs]
        self._generation = 0  # bumped by clear(): releases held requests

    def arm(self, spec: FaultSpec) -> None:
        """Add a fault."""
        with self._lock:
            self._armed.append(_Armed(spec))

    def clear(self) -> None:
        """Remove every fault and release requests held by a "timeout"."""
        with self._lock:
            self._armed.clear()
            self._generation += 1

    def hold_ticket(self, delay_s: float) -> tuple[float, int]:
        """Return (deadline, generation) for holding a request until released or timed out."""
        return time.monotonic() + delay_s, self._generation

    def holding(self, ticket: tuple[float, int]) -> bool:
        """Return whether a request held with this ticket should still wait."""
        deadline, generation = ticket
        return time.monotonic() < deadline and generation == self._generation

    def hold(self, delay_s: float, poll_s: float = 0.005) -> None:
        """Block the calling thread for delay_s, or until clear()."""
        ticket = self.hold_ticket(delay_s)
        while self.holding(ticket):
            time.sleep(poll_s)

    def pending(self) -> list[FaultSpec]:
        """Return the faults that can still fire."""
        with self._lock:
            return [armed.spec for armed in self._armed if not armed.exhausted]

    def fire(self, method: str, endpoint: str) -> list[FaultSpec]:
        """Return the faults that fire on this request, counting it against each."""
        with self._lock:
            return [a.spec for a in self._armed if self._fires(a, method, endpoint)]

    def _fires(self, armed: _Armed, method: str, endpoint: str) -> bool:
        if armed.exhausted or not armed.spec.matches(method, endpoint):
            return False
        armed.seen += 1
        if armed.seen <= armed.spec.after or self._rng.random() >= armed.spec.probability:
            return False
        armed.fired += 1
        return True
