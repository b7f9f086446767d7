"""Compare today's lens slope with the scope's history: outliers in k_obj, jumps in the angle."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

MIN_HISTORY = 3  # sweeps needed before a spread means anything


@dataclass(frozen=True)
class HistoryCheck:
    """Today's k_obj and angle against the trailing window, and the alerts they raise."""

    n_history: int
    trailing_mean_nm_per_um: float | None = None
    trailing_sd_nm_per_um: float | None = None
    k_obj_deviation_sigmas: float | None = None
    previous_angle_deg: float | None = None
    angle_change_deg: float | None = None
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the check as a JSON-ready dict."""
        return asdict(self)


def angle_difference_deg(a_deg: float, b_deg: float) -> float:
    """Return the smallest difference between two axis angles (period 180°)."""
    difference = abs(a_deg - b_deg) % 180.0
    return min(difference, 180.0 - difference)


def compare_with_history(
    today: dict[str, Any],
    history: list[dict[str, Any]],
    now: datetime,
    days: int = 30,
    sigma_limit: float = 3.0,
    angle_limit_deg: float = 20.0,
) -> HistoryCheck:
    """Alert when k_obj is beyond sigma_limit·σ of the trailing mean or the angle jumped."""
    window = [h for h in history if _within(h, now, days) and h.get("id") != today.get("id")]
    window.sort(key=lambda h: h["created_at"], reverse=True)
    k_part = _k_obj(today, window, sigma_limit)
    angle_part = _angle(today, window, angle_limit_deg)
    alerts = k_part.pop("alerts") + angle_part.pop("alerts")
    return HistoryCheck(n_history=len(window), alerts=alerts, **k_part, **angle_part)


def _within(row: dict[str, Any], now: datetime, days: int) -> bool:
    at = datetime.fromisoformat(row["created_at"])
    return now - timedelta(days=days) <= at <= now


def _k_obj(today: dict[str, Any], window: list[dict[str, Any]], limit: float) -> dict[str, Any]:
    """Return the trailing mean and spread of k_obj and today's deviation, with any alert."""
    if len(window) < MIN_HISTORY:
        return {"alerts": []}
    values = np.array([h["k_obj_nm_per_um"] for h in window], float)
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    spread = math.hypot(sd, today.get("k_obj_se_nm_per_um") or 0.0)
    deviation = abs(today["k_obj_nm_per_um"] - mean) / spread if spread > 0 else math.inf
    part = {
        "trailing_mean_nm_per_um": mean,
        "trailing_sd_nm_per_um": sd,
        "k_obj_deviation_sigmas": deviation,
        "alerts": [],
    }
    if deviation > limit:
        message = (
            f"k_obj {today['k_obj_nm_per_um']:.1f} nm/µm is {deviation:.1f}σ from the "
            f"{len(window)}-sweep trailing mean {mean:.1f} ± {sd:.1f} nm/µm"
        )
        part["alerts"] = [{"alert": "k_obj_outlier", "message": message}]
    return part


def _angle(today: dict[str, Any], window: list[dict[str, Any]], limit: float) -> dict[str, Any]:
    """Return the change of the lens axis since the previous sweep, with any alert."""
    if not window:
        return {"alerts": []}
    previous = float(window[0]["angle_deg"])
    change = angle_difference_deg(today["angle_deg"], previous)
    part = {"previous_angle_deg": previous, "angle_change_deg": change, "alerts": []}
    if change > limit:
        message = (
            f"the lens axis turned {change:.1f}° since the previous sweep "
            f"({previous:.1f}° → {today['angle_deg']:.1f}°)"
        )
        part["alerts"] = [{"alert": "angle_jump", "message": message}]
    return part
