"""Turn an uploaded request body into a frame: a raw array (dtype + shape) or an MRC/TIFF/.npy file.

Every problem becomes an HTTPException with a 4xx status and a one-line reason.
"""

from __future__ import annotations

import math
import re

import numpy as np
from fastapi import HTTPException, Request, status

from astigd.frame_files import FrameFileError, FrameKind, frame_from_array, read_frame_bytes

RAW_TYPES = {"application/octet-stream", ""}
FILE_TYPES: dict[str, FrameKind] = {
    "application/x-mrc": "mrc",
    "image/tiff": "tiff",
    "image/tif": "tiff",
    "application/x-npy": "npy",
}
SHAPE_TEXT = re.compile(r"^[\[(]?\s*(\d+)(?:\s*[,x×]\s*(\d+)){1,2}\s*[\])]?$")

FRAME_BODY_OPENAPI = {
    "requestBody": {
        "required": True,
        "description": "A raw little/big-endian array (give dtype and shape), or an MRC, "
        "TIFF or .npy file named by its Content-Type.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("application/octet-stream", *FILE_TYPES)
        },
    }
}


def unprocessable(reason: str) -> HTTPException:
    """Return a 422 with a reason."""
    return HTTPException(422, reason)


async def read_body(request: Request, limit_bytes: int) -> bytes:
    """Read the body, refusing (413) as soon as it is known to exceed the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit_bytes:
        raise _too_large(limit_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise _too_large(limit_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit_bytes: int) -> HTTPException:
    return HTTPException(413, f"the upload exceeds the limit of {limit_bytes} bytes")


def media_type(request: Request) -> str:
    """Return the request's media type, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def frame_from_body(body: bytes, media: str, dtype: str | None, shape: str | None) -> np.ndarray:
    """Return the frame (a 2D float32 array) an upload carries."""
    if not body:
        raise unprocessable("the request body is empty: upload a frame")
    try:
        with np.errstate(all="ignore"):  # values beyond float32 become inf, refused later
            if media in FILE_TYPES:
                return read_frame_bytes(body, FILE_TYPES[media])
            if media in RAW_TYPES:
                return frame_from_array(raw_array(body, dtype, shape))
    except FrameFileError as error:
        raise unprocessable(str(error)) from None
    accepted = ", ".join(["application/octet-stream", *FILE_TYPES])
    raise HTTPException(
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        f"unsupported Content-Type {media!r}; use one of {accepted}",
    )


def raw_array(body: bytes, dtype_text: str | None, shape_text: str | None) -> np.ndarray:
    """Interpret a raw body as an array of the given dtype and shape (C order)."""
    if not dtype_text or not shape_text:
        raise unprocessable(
            "a raw frame needs its dtype and shape: X-Dtype and X-Shape headers "
            "or dtype and shape query parameters"
        )
    dtype, shape = parse_dtype(dtype_text), parse_shape(shape_text)
    expected = math.prod(shape) * dtype.itemsize
    if len(body) != expected:
        raise unprocessable(
            f"body has {len(body)} bytes; dtype {dtype.name} and shape {shape} need {expected}"
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def parse_dtype(text: str) -> np.dtype:
    """Return a real numeric numpy dtype named by text (e.g. uint16, <f4, float32)."""
    try:
        dtype = np.dtype(text.strip())
    except (TypeError, ValueError, SyntaxError):
        raise unprocessable(f"unknown dtype {text!r}; use e.g. uint16 or float32") from None
    if dtype.kind not in "uif" or dtype.shape or dtype.fields is not None or dtype.itemsize > 8:
        raise unprocessable(f"dtype {text!r} is not a real number type (int, uint or float)")
    return dtype


def parse_shape(text: str) -> tuple[int, ...]:
    """Return the shape in text like `1024,1024`, `1024x1024` or `[3, 1024, 1024]`."""
    if not SHAPE_TEXT.match(text.strip()):
        raise unprocessable(f"shape {text!r} must be 2 or 3 sizes, e.g. 1024,1024")
    shape = tuple(int(size) for size in re.findall(r"\d+", text))
    if min(shape) < 1:
        raise unprocessable(f"shape {text!r} has an empty axis")
    return shape
