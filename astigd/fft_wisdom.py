"""Keep FFTW's planning wisdom in a file, so each process plans a shape only once.

The file is `$ASTIGD_FFTW_WISDOM` if set, else `fftw-wisdom.pickle` in `$ASTIGD_CACHE_DIR`, else
in the XDG cache directory. The frame shapes a starting worker plans for are
`$ASTIGD_WARM_FRAME_SHAPES` (e.g. `1024x1024,4096x4096`, the default).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from astigd.workers.fft import export_wisdom, import_wisdom

WISDOM_ENV = "ASTIGD_FFTW_WISDOM"
WARM_SHAPES_ENV = "ASTIGD_WARM_FRAME_SHAPES"
DEFAULT_WARM_SHAPES = "1024x1024,4096x4096"  # the frames scopes' cameras deliver


def wisdom_path() -> Path:
    """Return where wisdom is kept: $ASTIGD_FFTW_WISDOM, else a file in the cache directory."""
    if os.environ.get(WISDOM_ENV):
        return Path(os.environ[WISDOM_ENV]).expanduser()
    root = os.environ.get("ASTIGD_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    return (base if os.environ.get("ASTIGD_CACHE_DIR") else base / "astigd") / "fftw-wisdom.pickle"


def parse_frame_shapes(text: str) -> tuple[tuple[int, int], ...]:
    """Return frame shapes from `ROWSxCOLS[,ROWSxCOLS...]`; raise ValueError with the reason."""
    shapes = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        rows, sep, cols = item.lower().partition("x")
        if not (sep and rows.isdigit() and cols.isdigit()):
            raise ValueError(f"frame shape {item!r} is not ROWSxCOLS, e.g. 4096x4096")
        shapes.append((int(rows), int(cols)))
    return tuple(shapes)


def warm_frame_shapes() -> tuple[tuple[int, int], ...]:
    """Return the frame shapes to plan for: $ASTIGD_WARM_FRAME_SHAPES, else 1024² and 4096²."""
    return parse_frame_shapes(os.environ.get(WARM_SHAPES_ENV) or DEFAULT_WARM_SHAPES)


def load_wisdom(path: Path | None = None) -> bool:
    """Load saved wisdom if there is any; return whether FFTW took it."""
    path = path or wisdom_path()
    try:
        wisdom = pickle.loads(path.read_bytes())  # noqa: S301 — our own cache file
        return import_wisdom(wisdom)
    except (OSError, ImportError, pickle.UnpicklingError, TypeError, ValueError, EOFError):
        return False


def save_wisdom(path: Path | None = None) -> bool:
    """Save the process's accumulated wisdom; return False if there is none or it can't be written.

    Several workers may save at once: each writes its own temporary file, then renames it.
    """
    wisdom = export_wisdom()
    if wisdom is None:
        return False
    path = path or wisdom_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps(wisdom))
        temporary.replace(path)
    except OSError:
        return False
    return True
