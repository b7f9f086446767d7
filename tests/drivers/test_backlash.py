"""Backlash paths and stepwise walks (pure functions)."""

from __future__ import annotations

import pytest

from astigd.drivers.backlash import approach_path, walk
from astigd.drivers.limits import ScopeLimits

BELOW = ScopeLimits(backlash_overshoot=0.02)


def test_moving_up_on_both_axes_is_one_direct_step():
    assert approach_path((0.0, 0.0), (0.1, 0.2), BELOW) == [(0.1, 0.2)]


def test_moving_down_on_one_axis_overshoots_only_that_axis():
    assert approach_path((0.3, 0.0), (0.1, 0.2), BELOW) == [(pytest.approx(0.08), 0.2), (0.1, 0.2)]


def test_staying_put_is_a_single_set():
    assert approach_path((0.1, 0.1), (0.1, 0.1), BELOW) == [(0.1, 0.1)]


def test_walk_splits_a_long_move_into_steps_no_longer_than_the_maximum():
    points = walk((0.0, 0.0), (0.5, -0.25), 0.2)
    assert len(points) == 3 and points[-1] == (0.5, -0.25)
    previous = (0.0, 0.0)
    for point in points:
        assert max(abs(a - b) for a, b in zip(point, previous, strict=True)) <= 0.2
        previous = point


def test_walk_of_a_short_move_is_the_target():
    assert walk((0.0, 0.0), (0.05, 0.0), 0.2) == [(0.05, 0.0)]
