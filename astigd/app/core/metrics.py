"""Prometheus metrics, in a registry per app so several apps (tests) never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from astigd.workers.pool import FitPool

NO_SCOPE = "none"
FIT_SECONDS_BUCKETS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The service's metrics: fits, jobs, residual astigmatism, and the compute pool."""

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

        self.jobs = Counter(
            "astigd_jobs",
            "Jobs that reached a final state.",
            ["scope", "procedure", "state"],
            registry=self.registry,
        )
        self.residual_astig_nm = Gauge(
            "astigd_residual_astig_nm",
            "Astigmatism measured at the end of the scope's latest correction, nm.",
            ["scope"],
            registry=self.registry,
        )
        self.pool_in_flight = Gauge(
            "astigd_pool_fits_in_flight",
            "Fits (and other pool tasks) submitted to the compute pool without a result yet.",
            registry=self.registry,
        )
        self.pool_workers = Gauge(
            "astigd_pool_workers",
            "Workers able to fit: local processes, or Dask workers with a ctf slot (NaN: unknown).",
            registry=self.registry,
        )

    def watch_pool(self, pool: FitPool) -> None:
        """Read the pool's tasks in flight and workers at each scrape."""
        self.pool_in_flight.set_function(lambda: pool.in_flight)
        self.pool_workers.set_function(lambda: _or_nan(pool.workers()))

    def job_finished(self, scope_id: str, procedure: str, state: str, result: dict | None) -> None:
        """Record a job's final state, and the residual astigmatism a correction left."""
        self.jobs.labels(scope=scope_id, procedure=procedure, state=state).inc()
        residual = (result or {}).get("astig_final_nm")
        if isinstance(residual, int | float):
            self.residual_astig_nm.labels(scope=scope_id).set(residual)

    def observe_fit(self, scope_id: str | None, seconds: float, reliable: bool) -> None:
        """Record one completed fit."""
        scope = scope_id or NO_SCOPE
        self.fit_seconds.labels(scope=scope).observe(seconds)
        self.fits.labels(scope=scope, reliable=str(reliable).lower()).inc()

    def fit_failed(self, scope_id: str | None, kind: str) -> None:
        """Record one fit that failed (kind: invalid_frame, unfittable, timeout, error)."""
        self.fit_failures.labels(scope=scope_id or NO_SCOPE, kind=kind).inc()


def _or_nan(value: int | None) -> float:
    """Return the value as a float, NaN for unknown."""
    return float("nan") if value is None else float(value)
