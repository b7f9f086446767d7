"""AstigdClient: jobs, compensation, focus moves, lens history and measurements over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from astigd.client.errors import ApiError, JobFailedError
from astigd.client.events import follow_events
from astigd.client.live import LiveFitStream
from astigd.client.models import Compensation, Job, JobEvent, LensHistory

API = "/api/v1"


class AstigdClient:
    """A synchronous client; use as a context manager or call `close()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Talk to the service at `base_url` (e.g. http://astigd:8040) with an API key."""
        self.base_url, self.api_key, self.timeout_s = base_url.rstrip("/"), api_key, timeout_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout_s, transport=transport
        )

    def __enter__(self) -> AstigdClient:
        """Return the client."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the connection pool."""
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; raise ApiError with the API's message on a 4xx or 5xx answer."""
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ApiError(response.status_code, detail, method, path)
        return response

    def get_json(self, path: str, **params: Any) -> Any:
        """GET a path (None parameters left out) and return its JSON."""
        query = {name: value for name, value in params.items() if value is not None}
        return self.request("GET", path, params=query).json()

    def scopes(self) -> list[dict[str, Any]]:
        """Return the scopes the service drives."""
        return self.get_json(f"{API}/scopes")

    def scope_state(self, scope_id: str) -> dict[str, Any]:
        """Return the scope's optics read now, and the job driving it."""
        return self.get_json(f"{API}/scopes/{scope_id}/state")

    def submit_job(
        self, scope_id: str, procedure: str, params: dict[str, Any] | None = None, wait: bool = True
    ) -> Job:
        """Queue a procedure on a scope (with `wait=False`, a busy scope raises ApiError 409)."""
        body = {"procedure": procedure, "params": params or {}, "wait": wait}
        response = self.request("POST", f"{API}/scopes/{scope_id}/jobs", json=body)
        return Job.from_json(response.json())

    def job(self, job_id: str) -> Job:
        """Return a job as it is now."""
        return Job.from_json(self.get_json(f"{API}/jobs/{job_id}"))

    def cancel_job(self, job_id: str) -> Job:
        """Cancel a job; a running one stops at its next safe point and restores the scope."""
        return Job.from_json(self.request("POST", f"{API}/jobs/{job_id}/cancel").json())

    def job_events(self, job_id: str, after_seq: int = 0) -> list[JobEvent]:
        """Return the job's stored events after `after_seq` (polling, no WebSocket)."""
        events = self.get_json(f"{API}/jobs/{job_id}/events", after_seq=after_seq)
        return [JobEvent.from_json(event) for event in events]

    def follow_job(self, job_id: str, after_seq: int = 0) -> Iterator[JobEvent]:
        """Yield the job's events (stored, then live) until its final state, over a WebSocket."""
        return follow_events(self.base_url, self.api_key, job_id, after_seq, self.timeout_s)

    def wait_job(self, job_id: str, timeout_s: float = 600.0) -> Job:
        """Follow the job until it ends, or until `timeout_s` passes, and return it."""
        deadline = time.monotonic() + timeout_s
        for _event in follow_events(self.base_url, self.api_key, job_id, 0, timeout_s):
            if time.monotonic() > deadline:
                break
        return self.job(job_id)

    def run_job(
        self,
        scope_id: str,
        procedure: str,
        params: dict[str, Any] | None = None,
        timeout_s: float = 600.0,
    ) -> Job:
        """Submit a job and wait for it; raise JobFailedError unless it succeeded."""
        job = self.wait_job(self.submit_job(scope_id, procedure, params).id, timeout_s)
        if job.state != "succeeded":
            raise JobFailedError(job)
        return job

    def compensation(self, scope_id: str, defocus_nm: float) -> Compensation:
        """Return the stigmators predicted for a defocus at the scope's current optics."""
        path = f"{API}/scopes/{scope_id}/compensation"
        return Compensation.from_json(self.get_json(path, defocus_nm=defocus_nm))

    def set_defocus(
        self, scope_id: str, defocus_nm: float, compensate: bool = True
    ) -> dict[str, Any]:
        """Set the defocus and (by default) the compensated stigmators in one audited step."""
        body = {"defocus_nm": defocus_nm, "compensate": compensate}
        return self.request("POST", f"{API}/scopes/{scope_id}/defocus", json=body).json()

    def lens_history(self, scope_id: str, etag: str | None = None, **filters: Any) -> LensHistory:
        """Return the daily lens slope; with the last `etag`, a 304 gives `not_modified`."""
        query = {name: value for name, value in filters.items() if value is not None}
        headers = {"If-None-Match": etag} if etag else {}
        path = f"{API}/scopes/{scope_id}/lens-history"
        response = self.request("GET", path, params=query, headers=headers)
        if response.status_code == httpx.codes.NOT_MODIFIED:
            return LensHistory(scope_id, [], etag, not_modified=True)
        return LensHistory(scope_id, response.json()["days"], response.headers.get("etag"))

    def measurements(self, **filters: Any) -> dict[str, Any]:
        """Return stored fits, newest first (scope_id, job_id, since, until, reliable, limit)."""
        return self.get_json(f"{API}/measurements", **filters)

    def live(self, timeout_s: float = 120.0) -> LiveFitStream:
        """Return a live-fit stream (a context manager) on WS /api/v1/ws/fit."""
        return LiveFitStream(self.base_url, self.api_key, timeout_s)
