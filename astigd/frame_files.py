"""Read a camera frame from an MRC, TIFF or .npy file, or from the bytes of one.

A 2D image is a frame; a 3D stack (frames × rows × columns) is averaged over its frames.
Everything else, and anything unreadable, raises FrameFileError with a one-line reason.
Frames come back as float32 with rows = y and columns = x (MRC origin, DESIGN.md §2).
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

FrameKind = Literal["mrc", "tiff", "npy"]

SUFFIX_KINDS: dict[str, FrameKind] = {
    ".mrc": "mrc",
    ".mrcs": "mrc",
    ".map": "mrc",
    ".st": "mrc",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".npy": "npy",
}
NPY_MAGIC = b"\x93NUMPY"
TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
MRC_MAP_ID_OFFSET = 208


class FrameFileError(ValueError):
    """A file that cannot be read as a 2D frame or a stack of them."""


def read_frame_file(path: str | os.PathLike) -> np.ndarray:
    """Read a frame (or a stack's average) from a file; its suffix or content gives the kind."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            kind = SUFFIX_KINDS.get(path.suffix.lower()) or sniff_kind(stream.read(1024))
            stream.seek(0)
            return read_frame_stream(stream, kind)
    except OSError as error:
        raise FrameFileError(f"cannot read file: {error.strerror or error}") from None


def read_frame_bytes(data: bytes, kind: FrameKind | None = None) -> np.ndarray:
    """Read a frame (or the average of a stack) from a file's bytes, e.g. an HTTP upload."""
    return read_frame_stream(io.BytesIO(data), kind or sniff_kind(data[:1024]))


def read_frame_stream(stream: BinaryIO, kind: FrameKind) -> np.ndarray:
    """Read a frame of the given kind from a binary stream positioned at the file's start."""
    readers = {"mrc": _read_mrc, "tiff": _read_tiff, "npy": _read_npy}
    if kind not in readers:
        raise FrameFileError(f"unknown frame file kind {kind!r}; expected mrc, tiff or npy")
    return frame_from_array(readers[kind](stream))


def kind_from_name(name: str) -> FrameKind | None:
    """Return the frame kind a file name's suffix implies, or None when it implies none."""
    return SUFFIX_KINDS.get(Path(name).suffix.lower())


def sniff_kind(head: bytes) -> FrameKind:
    """Return the kind of a frame file from its first bytes (at least 212 for MRC)."""
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(TIFF_MAGICS):
        return "tiff"
    if head[MRC_MAP_ID_OFFSET : MRC_MAP_ID_OFFSET + 4] == b"MAP ":
        return "mrc"
    raise FrameFileError("not an MRC, TIFF or .npy file")


def frame_from_array(array: np.ndarray) -> np.ndarray:
    """Return a 2D float32 frame: the image itself, or the mean of a 3D stack over its frames."""
    if array.dtype.kind not in "biuf":
        raise FrameFileError(f"unsupported data type {array.dtype}; expected real numbers")
    if array.ndim == 2:
        return np.array(array, dtype=np.float32)
    if array.ndim == 3 and array.shape[0] > 0:
        return array.mean(axis=0, dtype=np.float64).astype(np.float32)
    raise FrameFileError(f"expected a 2D frame or a 3D stack, got shape {array.shape}")


def _read_mrc(stream: BinaryIO) -> np.ndarray:
    """Return the data block of an MRC file (strict header checks)."""
    from mrcfile.mrcinterpreter import MrcInterpreter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. trailing bytes after the data block
            return MrcInterpreter(stream, permissive=False).data
    except ValueError as error:
        raise FrameFileError(f"not a valid MRC file: {error}") from None


def _read_tiff(stream: BinaryIO) -> np.ndarray:
    """Return the first image series of a TIFF, with y and x as its last two axes."""
    import tifffile

    try:
        with tifffile.TiffFile(stream) as tiff:
            series = tiff.series[0]
            data, axes = series.asarray(), series.axes
    except (ValueError, IndexError, EOFError, struct.error) as error:
        raise FrameFileError(f"not a valid TIFF file: {error}") from None
    if "Y" not in axes or "X" not in axes:
        raise FrameFileError(f"TIFF series has no image plane (axes {axes})")
    spatial = [axes.index("Y"), axes.index("X")]
    return np.moveaxis(data, spatial, [-2, -1])


def _read_npy(stream: BinaryIO) -> np.ndarray:
    """Return the array in a .npy file (never unpickling objects)."""
    if not stream.read(len(NPY_MAGIC)).startswith(NPY_MAGIC):
        raise FrameFileError("not a .npy file")
    stream.seek(0)
    try:
        return np.load(stream, allow_pickle=False)
    except (ValueError, EOFError) as error:
        raise FrameFileError(f"not a valid .npy file: {error}") from None
