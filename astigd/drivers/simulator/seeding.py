"""Seeded random streams: the same seed and key always give the same numbers."""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, topic: str, *keys: int) -> np.random.Generator:
    """Return a generator for one topic (e.g. "lens", "day") and integer keys (e.g. a date)."""
    return np.random.default_rng([seed, zlib.crc32(topic.encode()), *keys])


def unit_vector(angle_deg: float) -> np.ndarray:
    """Return (cos, sin) of an angle in degrees."""
    angle = np.radians(angle_deg)
    return np.array([np.cos(angle), np.sin(angle)])


def rotation(angle_deg: float) -> np.ndarray:
    """Return the 2×2 matrix rotating vectors counter-clockwise by an angle in degrees."""
    c, s = unit_vector(angle_deg)
    return np.array([[c, -s], [s, c]])
