"""One fit as a JSON record or a readable line, for the CLI and anything else that reports fits."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from astigd.workers.results import CtfFit


def fit_record(file: str, fit: CtfFit) -> dict[str, Any]:
    """Return `file` plus everything in CtfFit.to_dict(), made strictly JSON-serialisable."""
    return json_safe({"file": file, **fit.to_dict()})


def json_line(record: dict[str, Any]) -> str:
    """Return a record as one line of strict JSON (no NaN or Infinity)."""
    return json.dumps(json_safe(record), allow_nan=False, ensure_ascii=False)


def json_safe(value: Any) -> Any:
    """Return value with numpy types made native and non-finite floats made None."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary_line(file: str, fit: CtfFit) -> str:
    """Return a one-line, human-readable account of a fit."""
    verdict = "reliable" if fit.reliable else f"UNRELIABLE ({fit.reason or 'no reason given'})"
    return (
        f"{file}: defocus {fit.defocus1_nm:.1f} / {fit.defocus2_nm:.1f} nm "
        f"(mean {fit.defocus_mean_nm:.1f}), angle {fit.angle_deg:.1f}°, "
        f"astig {fit.astig_nm:.1f} ± {fit.astig_uncertainty_nm:.1f} nm, score {fit.score:.3f}, "
        f"resolution {fit.resolution_A:.1f} Å, {verdict}, {fit.elapsed_ms:.0f} ms"
    )
