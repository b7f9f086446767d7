"""GET /: the dashboard page; its static files under /dashboard; Plotly from the plotly package."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from astigd.app.dashboard import STATIC_DIR, STATIC_URL

router = APIRouter(tags=["index"])
CACHE_A_DAY = {"Cache-Control": "public, max-age=86400"}


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    """Return the dashboard page (it talks to /api/v1 with the key the user enters)."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


@router.get(f"{STATIC_URL}/vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """Return plotly.min.js as shipped inside the installed `plotly` Python package."""
    path = files("plotly") / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "plotly.min.js is not installed")
    return FileResponse(str(path), media_type="text/javascript", headers=CACHE_A_DAY)
