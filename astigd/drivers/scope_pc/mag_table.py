"""The magnification table served at /v1/astigd/magnification_table, from a YAML file.

TEM Scripting reports the magnification of the current index only, and knows nothing of the
camera's calibration, so the pixel sizes come from the site's own calibration, kept on the
scope PC:

```yaml
magnifications:
  - {index: 23, magnification: 105000, pixel_size_A: 0.83, mode: SA}
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator


class MagRow(BaseModel):
    """One magnification: temscript's index, nominal magnification, calibrated pixel size."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0)
    magnification: float = Field(gt=0)
    pixel_size_A: float = Field(gt=0, lt=1000)  # at the specimen, camera binning 1
    mode: str = ""


class MagTable(BaseModel):
    """The table: rows with distinct indices."""

    model_config = ConfigDict(extra="forbid")

    magnifications: list[MagRow] = Field(min_length=1)

    @field_validator("magnifications")
    @classmethod
    def _distinct_indices(cls, rows: list[MagRow]) -> list[MagRow]:
        indices = [row.index for row in rows]
        if len(set(indices)) != len(indices):
            raise ValueError(f"magnification indices repeat: {sorted(indices)}")
        return rows

    def published(self) -> list[dict[str, Any]]:
        """Return the rows as the extension endpoint sends them."""
        return [row.model_dump() for row in sorted(self.magnifications, key=lambda r: r.index)]


def load_mag_table(path: Path) -> MagTable:
    """Return the table in a YAML file; raise ValueError naming the file and the problem."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return MagTable.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"magnification table {path}: {exc}") from None
