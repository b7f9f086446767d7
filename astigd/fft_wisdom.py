"""Keep FFTW's planning wisdom in the user's cache, so each process plans a shape only once."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from astigd.workers.fft import export_wisdom, import_wisdom


def wisdom_path() -> Path:
    """Return where wisdom is kept: $ASTIGD_CACHE_DIR, else the XDG cache directory."""
    root = os.environ.get("ASTIGD_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    return (base if os.environ.get("ASTIGD_CACHE_DIR") else base / "astigd") / "fftw-wisdom.pickle"


def load_wisdom(path: Path | None = None) -> bool:
    """Load saved wisdom if there is any; return whether FFTW took it."""
    path = path or wisdom_path()
    try:
        wisdom = pickle.loads(path.read_bytes())  # noqa: S301 — our own cache file
        return import_wisdom(wisdom)
    except (OSError, ImportError, pickle.UnpicklingError, TypeError, ValueError, EOFError):
        return False


def save_wisdom(path: Path | None = None) -> None:
    """Save the process's accumulated wisdom; a cache that cannot be written is skipped."""
    wisdom = export_wisdom()
    if wisdom is None:
        return
    path = path or wisdom_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(pickle.dumps(wisdom))
        temporary.replace(path)
    except OSError:
        pass
