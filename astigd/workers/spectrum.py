"""Power-spectrum estimation: averaged periodograms of tapered tiles of a frame."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.signal

from astigd.workers.fft import FftBackend, get_backend

MIN_BOX_PX = 128
MAX_TILES_PER_AXIS = 8
TILES_PER_BATCH = 16
TAPER_FRACTION = 0.2


class InvalidFrameError(ValueError):
    """A frame that cannot be fitted: wrong dimensions, non-finite values, no contrast."""


@dataclass(frozen=True)
class PowerSpectrum:
    """Mean periodogram of a frame on the FFT half plane (DC at [0, 0], rows by fftfreq)."""

    power: np.ndarray
    box_px: int
    pixel_size_A: float
    n_tiles: int

    @property
    def frequency_step_invA(self) -> float:
        """Spacing of the spectrum's samples, Å⁻¹."""
        return 1.0 / (self.box_px * self.pixel_size_A)


def validate_frame(frame: np.ndarray) -> np.ndarray:
    """Return the frame as float32 2D, or raise InvalidFrameError with a one-line reason."""
    array = np.asarray(frame)
    if array.ndim != 2:
        raise InvalidFrameError(f"a frame must be 2D, got {array.ndim}D with shape {array.shape}")
    if min(array.shape) < MIN_BOX_PX:
        raise InvalidFrameError(f"frame {array.shape} is smaller than {MIN_BOX_PX} px")
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InvalidFrameError(f"frame dtype {array.dtype} is not real numeric")
    array = array.astype(np.float32, copy=False)
    lowest, highest = float(array.min()), float(array.max())
    if not (np.isfinite(lowest) and np.isfinite(highest)):
        raise InvalidFrameError("frame contains NaN or infinite values")
    if lowest == highest:
        raise InvalidFrameError("frame is constant: there is no image to fit")
    return array


def choose_box_px(shape: tuple[int, int], box_px: int) -> int:
    """Return the tile size: the requested box, shrunk to an even size that fits the frame."""
    largest = min(shape)
    return box_px if box_px <= largest else largest - largest % 2


def tile_starts(length: int, box_px: int, max_tiles: int = MAX_TILES_PER_AXIS) -> np.ndarray:
    """Return tile origins along one axis: 50 % overlap, within max_tiles 512-pixel boxes.

    The cap bounds the work on large frames: a larger box overlaps less there.
    """
    cap = max(1, max_tiles * 512 // box_px)
    count = min(max(1, 2 * length // box_px - 1), cap)
    return np.round(np.linspace(0, length - box_px, count)).astype(int)


def tile_count(shape: tuple[int, int], box_px: int) -> int:
    """Return how many tiles a full spectrum of a frame of this shape averages."""
    box = choose_box_px(shape, box_px)
    return len(tile_starts(shape[0], box)) * len(tile_starts(shape[1], box))


def tile_origins(
    shape: tuple[int, int], box_px: int, max_tiles_per_axis: int = MAX_TILES_PER_AXIS
) -> list[tuple[int, int]]:
    """Return the (row, column) origins of the tiles a spectrum of this frame shape averages."""
    rows, cols = (tile_starts(length, box_px, max_tiles_per_axis) for length in shape)
    return [(int(y), int(x)) for y in rows for x in cols]


def stack_shapes(
    shape: tuple[int, int], box_px: int, max_tiles_per_axis: int = MAX_TILES_PER_AXIS
) -> set[tuple[int, int, int]]:
    """Return the (tiles, box, box) stacks `estimate_power_spectrum` transforms for this shape."""
    box = choose_box_px(shape, box_px)
    count = len(tile_origins(shape, box, max_tiles_per_axis))
    full, rest = divmod(count, TILES_PER_BATCH)
    return {(n, box, box) for n in ([TILES_PER_BATCH] if full else []) + ([rest] if rest else [])}


@lru_cache(maxsize=8)
def taper(box_px: int, fraction: float = TAPER_FRACTION) -> np.ndarray:
    """Return the 2D Tukey window that suppresses the tile-edge cross in the spectrum."""
    edge = scipy.signal.windows.tukey(box_px, fraction).astype(np.float32)
    window = np.outer(edge, edge)
    window.setflags(write=False)
    return window


def _tile_filler(image: np.ndarray, origins: list[tuple[int, int]], window: np.ndarray):
    """Return a function that writes the tapered, mean-free tiles at `origins` into a stack."""
    box = window.shape[0]

    def fill(tiles: np.ndarray) -> None:
        for slot, (y, x) in enumerate(origins):
            tiles[slot] = image[y : y + box, x : x + box]
        means = np.einsum("nij,ij->n", tiles, window) / window.sum()
        tiles -= means[:, None, None]
        tiles *= window

    return fill


def estimate_power_spectrum(
    frame: np.ndarray,
    pixel_size_A: float,
    box_px: int = 512,
    backend: FftBackend | None = None,
    max_tiles_per_axis: int = MAX_TILES_PER_AXIS,
    taper_fraction: float = TAPER_FRACTION,
) -> PowerSpectrum:
    """Average the periodograms of tapered, overlapping tiles of a frame."""
    image = validate_frame(frame)
    backend = backend or get_backend()
    box = choose_box_px(image.shape, box_px)
    origins = tile_origins(image.shape, box, max_tiles_per_axis)
    window = taper(box, taper_fraction)
    batches = [origins[i : i + TILES_PER_BATCH] for i in range(0, len(origins), TILES_PER_BATCH)]
    sums = (
        backend.power_sum((len(batch), box, box), _tile_filler(image, batch, window))
        for batch in batches
    )
    total = next(sums)
    for power in sums:
        total += power
    if len(origins) > 1:
        total /= len(origins)
    return PowerSpectrum(total, box, pixel_size_A, len(origins))
