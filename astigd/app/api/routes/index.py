"""GET /: a minimal landing page until the dashboard exists."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from astigd import __version__

router = APIRouter(tags=["index"])

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>astigd</title></head>
<body>
<h1>astigd {version}</h1>
<p>Keeps a TEM's objective-lens astigmatism corrected at data-collection conditions.</p>
<p>The dashboard comes in a later release. Until then, see the
<a href="/docs">interactive API documentation</a> (OpenAPI schema at
<a href="/openapi.json">/openapi.json</a>), <a href="/readyz">readiness</a> and
<a href="/metrics">metrics</a>.</p>
</body></html>
"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> HTMLResponse:
    """Return the landing page."""
    return HTMLResponse(PAGE.format(version=escape(__version__)))
