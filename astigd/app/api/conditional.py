"""Conditional GET: ETag and Last-Modified on a response, and 304 when the client is current."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import Request, Response


def entity_tag(payload: Any, media: str) -> str:
    """Return a strong ETag for a payload in a representation (JSON and CSV differ)."""
    text = json.dumps(payload, sort_keys=True, default=str) + media
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def http_date(moment: datetime) -> str:
    """Return an HTTP date (IMF-fixdate) for a UTC time."""
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


def not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    """Return whether the client's copy is current (If-None-Match first, RFC 9110 §13.2.2)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def validators(etag: str, last_modified: datetime | None) -> dict[str, str]:
    """Return the ETag and Last-Modified headers."""
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


def not_modified_response(etag: str, last_modified: datetime | None) -> Response:
    """Return an empty 304 carrying the validators."""
    return Response(status_code=304, headers=validators(etag, last_modified))
