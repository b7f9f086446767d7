"""Prometheus metrics, in a registry per app so several apps (tests) never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

NO_SCOPE = "none"
FIT_SECONDS_BUCKETS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The service's metrics: fit latency, fits by verdict, fit failures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.fit_seconds = Histogram(
            "astigd_fit_seconds",
            "Wall time of a fit in the compute pool, s.",
            ["scope"],
            buckets=FIT_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.fits = Counter(
            "astigd_fits",
            "Fits completed, by verdict.",
            ["scope", "reliable"],
            registry=self.registry,
        )
        self.fit_failures = Counter(
            "astigd_fit_failures",
            "Fits that raised instead of returning a result.",
            ["scope", "kind"],
            registry=self.registry,
        )

    def observe_fit(self, scope_id: str | None, seconds: float, reliable: bool) -> None:
        """Record one completed fit."""
        scope = scope_id or NO_SCOPE
        self.fit_seconds.labels(scope=scope).observe(seconds)
        self.fits.labels(scope=scope, reliable=str(reliable).lower()).inc()

    def fit_failed(self, scope_id: str | None, kind: str) -> None:
        """Record one fit that failed (kind: invalid_frame, error)."""
        self.fit_failures.labels(scope=scope_id or NO_SCOPE, kind=kind).inc()
