"""Errors the client raises: the API's refusal with its own message, or a job that failed."""

from __future__ import annotations

from typing import Any


class AstigdClientError(Exception):
    """Anything the client could not do."""


class ApiError(AstigdClientError):
    """The API answered with an error; `message` is the API's own explanation."""

    def __init__(self, status_code: int, detail: Any, method: str = "", url: str = "") -> None:
        """Keep the status, the raw `detail` and a readable message."""
        self.status_code, self.detail = status_code, detail
        self.message = describe(detail)
        self.code = detail.get("code") if isinstance(detail, dict) else None
        super().__init__(f"{method} {url} -> {status_code}: {self.message}".strip())


class JobFailedError(AstigdClientError):
    """A job ended in a state other than `succeeded`."""

    def __init__(self, job: Any) -> None:
        """Keep the job; the message names its state and error."""
        self.job = job
        super().__init__(f"job {job.id} ({job.procedure}) {job.state}: {job.error or 'no error'}")


def describe(detail: Any) -> str:
    """Return the API's `detail` (text, a reason object or validation errors) as one line."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        return str(detail.get("reason") or detail.get("detail") or detail)
    if isinstance(detail, list):
        return "; ".join(_one_error(item) for item in detail)
    return str(detail)


def _one_error(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    location = ".".join(str(part) for part in item.get("loc", ()))
    return f"{location}: {item.get('msg', '')}" if location else str(item.get("msg", ""))
