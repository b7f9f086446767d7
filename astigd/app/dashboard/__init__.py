"""The dashboard: static HTML, CSS and ES modules served at `/`, plus Plotly from its package."""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/dashboard"
