"""Reading a scope: identity, optical state and snapshots, through the vendor thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Self

from astigd.drivers.audit import AuditHook, no_audit
from astigd.drivers.backend import ScopeBackend, UnitConversion
from astigd.drivers.errors import LimitError, ScopeError
from astigd.drivers.limits import ScopeLimits, ScopeTiming
from astigd.drivers.records import (
    Illumination,
    MagEntry,
    OpticsKey,
    OpticsSnapshot,
    ScopeIdentity,
    utc_now,
)
from astigd.drivers.vendor_thread import VendorThread

Pair = tuple[float, float]


class ScopeState:
    """The read side of a scope, in astigd units."""

    def __init__(
        self,
        backend: ScopeBackend,
        units: UnitConversion,
        *,
        name: str = "scope",
        limits: ScopeLimits | None = None,
        timing: ScopeTiming | None = None,
        audit: AuditHook | None = None,
    ) -> None:
        """Wrap a vendor backend and its unit conversion."""
        self.name = name
        self.limits = limits or ScopeLimits()
        self.timing = timing or ScopeTiming()
        self._backend, self._units = backend, units
        self._vendor = VendorThread(name, self.timing)
        self._audit = audit or no_audit
        self._lock = asyncio.Lock()
        self._identity: ScopeIdentity | None = None
        self._table: dict[int, MagEntry] | None = None

    async def _call(self, fn: Callable[..., Any], *args: Any, timeout_s: float | None = None):
        """Run one blocking vendor call on the scope's thread."""
        return await self._vendor.call(fn, *args, timeout_s=timeout_s)

    async def identity(self) -> ScopeIdentity:
        """Return vendor and model (read once)."""
        if self._identity is None:
            self._identity = await self._call(self._backend.identity)
        return self._identity

    async def ht_kv(self) -> float:
        """Return the high tension in kV."""
        return float(await self._call(self._backend.get_ht_kv))

    async def illumination(self) -> Illumination:
        """Return the probe mode or alpha."""
        return await self._call(self._backend.get_illumination)

    async def magnification_table(self) -> tuple[MagEntry, ...]:
        """Return the magnification table (read once)."""
        if self._table is None:
            rows = await self._call(self._backend.magnification_table)
            self._table = {row.index: row for row in rows}
        return tuple(self._table.values())

    async def mag_entry(self, index: int) -> MagEntry:
        """Return the table row of a magnification index."""
        await self.magnification_table()
        assert self._table is not None
        if index not in self._table:
            raise LimitError(f"magnification index {index} is not in the magnification table")
        return self._table[index]

    async def get_stigmator(self) -> Pair:
        """Read the objective stigmator, normalized."""
        return self._units.stig_from_raw(await self._call(self._backend.get_stigmator))

    async def get_mag_index(self) -> int:
        """Read the magnification index."""
        return int(await self._call(self._backend.get_mag_index))

    async def get_defocus_nm(self) -> float:
        """Read the defocus in nm, underfocus positive."""
        index = await self.get_mag_index()
        return self._units.defocus_from_raw(await self._call(self._backend.get_defocus), index)

    async def get_beam_tilt_mrad(self) -> Pair:
        """Read the beam tilt (rotation centre) in mrad."""
        return self._units.tilt_from_raw(await self._call(self._backend.get_beam_tilt))

    async def optics_key(self) -> OpticsKey:
        """Return the key calibrations are stored under."""
        ht, index, light = await self.ht_kv(), await self.get_mag_index(), await self.illumination()
        return OpticsKey(round(ht, 3), index, light)

    async def snapshot(self) -> OpticsSnapshot:
        """Read the full optical state."""
        identity, ht, light = await self.identity(), await self.ht_kv(), await self.illumination()
        mag = await self.mag_entry(await self.get_mag_index())
        stig, defocus = await self.get_stigmator(), await self.get_defocus_nm()
        tilt = await self.get_beam_tilt_mrad()
        return OpticsSnapshot(identity, ht, light, mag, *stig, defocus, tilt, utc_now())

    async def close(self) -> None:
        """Release the vendor connection and the vendor thread."""
        try:
            await self._call(self._backend.close)
        except ScopeError:
            pass
        finally:
            self._vendor.close()

    async def __aenter__(self) -> Self:
        """Return the scope itself."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the scope."""
        await self.close()
