"""The scope inventory: which microscopes this service drives, read from a YAML file.

```yaml
scopes:
  - id: krios1
    driver: thermo            # simulator | thermo | jeol
    address: http://krios1-pc:8080
    call_timeout_s: 10        # a scope call that takes longer fails (the job then restores)
    optics:
      kv: 300
      cs_mm: 2.7
      camera: BM-Falcon
      magnifications:
        - mag_index: 23
          magnification: 105000
          pixel_size_A: 0.83
          aniso: {scale_major: 1.012, scale_minor: 1.0, angle_deg: 37}
```
Without a file the inventory holds one simulated scope, `sim`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from astigd.drivers.limits import ScopeTiming
from astigd.workers.anisotropy import AnisoMag

SCOPE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
DEFAULT_SCOPE_ID = "sim"


class InventoryError(ValueError):
    """A scope inventory that cannot be read or is invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnisoMagSpec(_Strict):
    """A known anisotropic magnification (see astigd.workers.anisotropy.AnisoMag)."""

    scale_major: float = Field(gt=0.5, lt=2.0)
    scale_minor: float = Field(gt=0.5, lt=2.0)
    angle_deg: float = Field(ge=-360.0, le=360.0)

    def to_aniso(self) -> AnisoMag:
        """Return the workers' AnisoMag."""
        return AnisoMag(self.scale_major, self.scale_minor, self.angle_deg)


class MagnificationOptics(_Strict):
    """Calibrated optics at one magnification: pixel size and anisotropic magnification."""

    mag_index: int = Field(ge=0)
    magnification: float | None = Field(None, gt=0)
    pixel_size_A: float = Field(gt=0, lt=100)
    aniso: AnisoMagSpec | None = None


class OpticsDefaults(_Strict):
    """A scope's nominal optics: voltage, Cs, camera and per-magnification calibrations."""

    kv: float = Field(300.0, gt=0, le=3000)
    cs_mm: float = Field(2.7, ge=0, lt=20)
    amplitude_contrast: float = Field(0.07, ge=0, lt=1)
    camera: str | None = None
    magnifications: tuple[MagnificationOptics, ...] = ()

    @model_validator(mode="after")
    def _unique_indices(self) -> OpticsDefaults:
        indices = [entry.mag_index for entry in self.magnifications]
        if len(set(indices)) != len(indices):
            raise ValueError("magnifications: each mag_index may appear only once")
        return self

    def at_mag(self, mag_index: int) -> MagnificationOptics | None:
        """Return the calibrations at a magnification index, or None."""
        return next((m for m in self.magnifications if m.mag_index == mag_index), None)


class ScopeEntry(_Strict):
    """One microscope: id, driver, where to reach it, and its optics defaults."""

    id: str = Field(pattern=SCOPE_ID_PATTERN)
    driver: Literal["simulator", "thermo", "jeol"]
    address: str | None = None
    name: str | None = None
    call_timeout_s: float = Field(ScopeTiming.call_timeout_s, gt=0.0, le=600.0)
    optics: OpticsDefaults = OpticsDefaults()

    def timing(self, settle_scale: float = 1.0) -> ScopeTiming:
        """Return the scope layer's timing: this entry's call timeout, settle times scaled."""
        settle_s = ScopeTiming.settle_s * settle_scale
        return replace(ScopeTiming(), call_timeout_s=self.call_timeout_s, settle_s=settle_s)


class Inventory(_Strict):
    """All scopes this service drives."""

    scopes: tuple[ScopeEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Inventory:
        ids = [scope.id for scope in self.scopes]
        if len(set(ids)) != len(ids):
            raise ValueError("scopes: each id may appear only once")
        return self

    def get(self, scope_id: str) -> ScopeEntry | None:
        """Return the scope with this id, or None."""
        return next((scope for scope in self.scopes if scope.id == scope_id), None)


def default_inventory() -> Inventory:
    """Return the inventory used without a file: one simulated scope, `sim`."""
    optics = OpticsDefaults(camera="simulated counting camera")
    return Inventory(scopes=(ScopeEntry(id=DEFAULT_SCOPE_ID, driver="simulator", optics=optics),))


def load_inventory(path: Path | None) -> Inventory:
    """Read and validate the inventory file; without one, return the default inventory."""
    if path is None:
        return default_inventory()
    try:
        data = yaml.safe_load(Path(path).expanduser().read_text(encoding="utf-8"))
    except OSError as error:
        raise InventoryError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise InventoryError(f"{path}: not valid YAML: {error}") from None
    try:
        return Inventory.model_validate(data)
    except ValidationError as error:
        raise InventoryError(f"{path}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    """Return validation errors as `location: message` parts on one line."""
    parts = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "(top level)"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)
