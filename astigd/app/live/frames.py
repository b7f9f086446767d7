"""The live protocol's messages: a JSON frame header, then the raw array as one binary message."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import HTTPException
from pydantic import ConfigDict, Field, ValidationError

from astigd.app.api.fit_inputs import FitQuery, OpticsOverrides
from astigd.app.api.uploads import raw_array
from astigd.app.core.errors import clean_errors
from astigd.app.core.inventory import SCOPE_ID_PATTERN, Inventory
from astigd.frame_files import FrameFileError, frame_from_array


class FrameError(ValueError):
    """A header or array that cannot be used; the message says why."""


class FrameHeader(OpticsOverrides):
    """What precedes each frame: its sequence number, layout, optics and, for advice, the scope."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0)
    dtype: str = Field(max_length=16)
    shape: list[int] = Field(min_length=2, max_length=3)
    scope_id: str | None = Field(None, pattern=SCOPE_ID_PATTERN)
    mag_index: int | None = Field(None, ge=0)
    stig_x: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    stig_y: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    target_defocus_nm: float | None = Field(None, ge=-20000, le=50000, allow_inf_nan=False)
    probe_mode: str | None = Field(None, max_length=16)
    alpha: int | None = Field(None, ge=0, le=20)

    def fit_query(self, inventory: Inventory) -> FitQuery:
        """Return the fit parameters as POST /fit would take them.

        The magnification index keys calibrations even when the inventory does not list it;
        it is passed on to the fit only when the inventory knows it or no pixel size is given.
        """
        names = ("scope_id", "pixel_size_A", "kv", "cs_mm", "amplitude_contrast", "min_res_A")
        values = {name: getattr(self, name) for name in (*names, "max_res_A")}
        scope = inventory.get(self.scope_id) if self.scope_id else None
        listed = (
            scope is not None and self.mag_index is not None and scope.optics.at_mag(self.mag_index)
        )
        if listed or self.pixel_size_A is None:
            values["mag_index"] = self.mag_index
        return FitQuery(**values)

    @property
    def wants_advice(self) -> bool:
        """Return whether the header carries what advisor mode needs."""
        needed = (self.scope_id, self.mag_index, self.stig_x, self.stig_y)
        return all(value is not None for value in needed)


def parse_header(text: str) -> tuple[FrameHeader | None, Any, str | None]:
    """Return (header, seq as sent, None), or (None, seq as sent if any, why it is refused)."""
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, None, f"the header is not JSON: {error}"
    seq = data.get("seq") if isinstance(data, dict) else None
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
    try:
        return FrameHeader.model_validate(data), seq, None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(e['loc']) or 'header'}: {e['msg']}" for e in
                             clean_errors(error.errors()))  # fmt: skip
        return None, seq, f"invalid header: {problems}"


def decode_frame(header: FrameHeader, body: bytes, limit_bytes: int) -> np.ndarray:
    """Return the 2D float32 frame a binary message carries, or raise FrameError."""
    if len(body) > limit_bytes:
        raise FrameError(f"the frame exceeds the limit of {limit_bytes} bytes")
    shape_text = ",".join(str(size) for size in header.shape)
    try:
        with np.errstate(all="ignore"):
            return frame_from_array(raw_array(body, header.dtype, shape_text))
    except HTTPException as error:
        raise FrameError(str(error.detail)) from None
    except FrameFileError as error:
        raise FrameError(str(error)) from None
