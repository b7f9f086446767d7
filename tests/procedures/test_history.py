"""Comparing the day's lens slope with the trailing history (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from astigd.app.procedures.history import angle_difference_deg, compare_with_history

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def history(*rows: tuple[float, float, float]) -> list[dict]:
    """Rows of (days ago, k_obj, angle)."""
    return [
        {"id": i, "created_at": (NOW - timedelta(days=d)).isoformat(), "k_obj_nm_per_um": k,
         "angle_deg": a}
        for i, (d, k, a) in enumerate(rows)
    ]  # fmt: skip


def today(k_obj: float, angle: float, se: float = 0.3) -> dict:
    return {"id": 99, "k_obj_nm_per_um": k_obj, "k_obj_se_nm_per_um": se, "angle_deg": angle}


STEADY = history((1, 30.0, 40.0), (2, 31.0, 41.0), (3, 29.0, 39.0), (5, 30.5, 40.5))


def test_a_day_within_three_sigma_and_a_steady_axis_raises_nothing() -> None:
    check = compare_with_history(today(31.5, 43.0), STEADY, NOW)
    assert check.alerts == [] and check.n_history == 4
    assert check.trailing_mean_nm_per_um == pytest.approx(30.125)
    assert check.k_obj_deviation_sigmas < 3.0


def test_k_obj_beyond_three_sigma_raises_an_alert() -> None:
    check = compare_with_history(today(36.0, 40.0), STEADY, NOW)
    assert [a["alert"] for a in check.alerts] == ["k_obj_outlier"]
    assert "trailing mean" in check.alerts[0]["message"]


def test_an_axis_jump_beyond_20_degrees_raises_an_alert_and_angles_wrap_at_180() -> None:
    assert angle_difference_deg(175.0, 5.0) == pytest.approx(10.0)
    rows = history((1, 30.0, 175.0), (2, 30.0, 174.0), (3, 30.0, 176.0))
    assert compare_with_history(today(30.0, 5.0), rows, NOW).alerts == []
    jumped = compare_with_history(today(30.0, 25.0), rows, NOW)
    assert [a["alert"] for a in jumped.alerts] == ["angle_jump"]
    assert jumped.angle_change_deg == pytest.approx(30.0)


def test_rows_outside_the_window_and_too_little_history_raise_nothing() -> None:
    old = history((40, 90.0, 120.0), (50, 90.0, 120.0), (60, 90.0, 120.0))
    check = compare_with_history(today(30.0, 40.0), old, NOW)
    assert check.n_history == 0 and check.alerts == []
    few = compare_with_history(today(60.0, 40.0), STEADY[:2], NOW)
    assert few.k_obj_deviation_sigmas is None and few.alerts == []
