"""The one guarded async scope over any vendor backend.

It does threads, timeouts and busy retry (through ``VendorThread``), unit conversion, limits,
read-back, backlash, settling and audit, so that vendor backends stay thin.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from astigd.drivers import backlash
from astigd.drivers.audit import emit
from astigd.drivers.errors import ReadbackError, ScopeError, ScopeTimeoutError
from astigd.drivers.limits import check_beam_tilt, check_defocus, check_exposure, check_stigmator
from astigd.drivers.records import AuditRecord, Frame, OpticsSnapshot, utc_now
from astigd.drivers.scope_state import Pair, ScopeState


class Scope(ScopeState):
    """A microscope in astigd units, safe to drive from any async caller.

    Every move checks the limits before touching the vendor, holds the scope's lock, reads
    back and verifies each write, settles, and reports to the audit hook.
    """

    async def set_stigmator(self, stig_x: float, stig_y: float) -> Pair:
        """Move the stigmator, approaching from the fixed side, and return the read-back."""
        target = (float(stig_x), float(stig_y))
        async with self._lock:
            current = await self.get_stigmator()
            check_stigmator(self.limits, current, target)
            move = self._approach_stigmator(current, target)
            return await self._audited("stigmator", current, target, move, self.get_stigmator)

    async def _approach_stigmator(self, current: Pair, target: Pair) -> Pair:
        """Visit the backlash path, verify each point, then settle."""
        back = current
        for point in backlash.approach_path(current, target, self.limits):
            await self._call(self._backend.set_stigmator, self._units.stig_to_raw(point))
            back = await self.get_stigmator()
            _verify("stigmator", point, back, self.limits.stig_tolerance)
        await self._settle()
        return back

    async def set_defocus_nm(self, defocus_nm: float) -> float:
        """Set the defocus in nm (underfocus positive) and return the read-back."""
        check_defocus(self.limits, defocus_nm)
        async with self._lock:
            index = await self.get_mag_index()
            now = await self._call(self._backend.get_defocus)
            raw = self._units.defocus_to_raw(defocus_nm, index, now)
            before = self._units.defocus_from_raw(now, index)
            move = self._write_defocus(raw, defocus_nm)
            return await self._audited("defocus_nm", before, defocus_nm, move, self.get_defocus_nm)

    async def _write_defocus(self, raw: Any, defocus_nm: float) -> float:
        """Write the focus, verify it and settle."""
        await self._call(self._backend.set_defocus, raw)
        back = await self.get_defocus_nm()
        _verify("defocus_nm", (defocus_nm,), (back,), self.limits.defocus_tolerance_nm)
        await self._settle()
        return back

    async def set_mag_index(self, index: int) -> int:
        """Select a magnification index from the table and return the read-back."""
        await self.mag_entry(index)
        async with self._lock:
            before = await self.get_mag_index()
            move = self._write_mag_index(index)
            return await self._audited("mag_index", before, index, move, self.get_mag_index)

    async def _write_mag_index(self, index: int) -> int:
        """Write the magnification index, verify it and settle."""
        await self._call(self._backend.set_mag_index, index)
        back = await self.get_mag_index()
        _verify("mag_index", (index,), (back,), 0)
        await self._settle()
        return back

    async def set_beam_tilt_mrad(self, x: float, y: float) -> Pair:
        """Set the beam tilt (rotation centre) in mrad and return the read-back."""
        target = (float(x), float(y))
        check_beam_tilt(self.limits, target)
        async with self._lock:
            before = await self.get_beam_tilt_mrad()
            move = self._write_beam_tilt(target)
            read = self.get_beam_tilt_mrad
            return await self._audited("beam_tilt_mrad", before, target, move, read)

    async def _write_beam_tilt(self, target: Pair) -> Pair:
        """Write the beam tilt, verify it and settle."""
        await self._call(self._backend.set_beam_tilt, self._units.tilt_to_raw(target))
        back = await self.get_beam_tilt_mrad()
        _verify("beam_tilt_mrad", target, back, self.limits.beam_tilt_tolerance_mrad)
        await self._settle()
        return back

    async def restore(self, snapshot: OpticsSnapshot) -> None:
        """Return magnification, defocus, beam tilt and stigmator to a snapshot.

        Each optic is moved only when it differs, magnification first; the stigmator walks
        back within the per-move limit. A restore that times out starts over until
        `timing.restore_patience_s` has passed: a call that timed out may still hold the vendor
        thread, and the scope usually answers again once it is done.
        """
        deadline = time.monotonic() + self.timing.restore_patience_s
        while True:
            try:
                return await self._restore_once(snapshot)
            except ScopeTimeoutError:
                if time.monotonic() >= deadline:
                    raise

    async def _restore_once(self, snapshot: OpticsSnapshot) -> None:
        """Move each optic that differs from the snapshot back to it."""
        limits = self.limits
        if await self.get_mag_index() != snapshot.mag.index:
            await self.set_mag_index(snapshot.mag.index)
        if abs(await self.get_defocus_nm() - snapshot.defocus_nm) > limits.defocus_tolerance_nm:
            await self.set_defocus_nm(snapshot.defocus_nm)
        tilt = await self.get_beam_tilt_mrad()
        if _differs(tilt, snapshot.beam_tilt_mrad, limits.beam_tilt_tolerance_mrad):
            await self.set_beam_tilt_mrad(*snapshot.beam_tilt_mrad)
        stig = (snapshot.stig_x, snapshot.stig_y)
        if _differs(await self.get_stigmator(), stig, limits.stig_tolerance):
            await self.walk_stigmator(*stig)

    async def walk_stigmator(self, stig_x: float, stig_y: float) -> Pair:
        """Move the stigmator in moves no longer than the per-move maximum."""
        back = current = await self.get_stigmator()
        for point in backlash.walk(current, (stig_x, stig_y), self.limits.stig_step_max):
            back = await self.set_stigmator(*point)
        return back

    async def acquire(self, exposure_s: float, binning: int = 1) -> Frame:
        """Expose the camera; return the frame with pixel size, UTC time and optics."""
        check_exposure(self.limits, exposure_s, binning)
        async with self._lock:
            optics = await self.snapshot()
            timeout_s = self.timing.acquire_timeout_s + exposure_s
            at = utc_now()
            expose = self._backend.acquire
            image = await self._call(expose, exposure_s, binning, timeout_s=timeout_s)
        pixel_size_A = optics.mag.pixel_size_A * binning
        return Frame(image, pixel_size_A, exposure_s, binning, at, optics)

    async def _audited(
        self, what: str, before: Any, requested: Any, move: Awaitable[Any], read: Callable
    ) -> Any:
        """Run a move and report it to the audit hook, also when it fails or is cancelled."""

        def record(after: Any, error: str | None = None) -> AuditRecord:
            return AuditRecord(what, before, after, utc_now(), requested, error)

        try:
            after = await move
        except asyncio.CancelledError:
            await emit(self._audit, record(None, "cancelled"))
            raise
        except ScopeError as exc:
            await emit(self._audit, record(await _try(read), str(exc)))
            raise
        await emit(self._audit, record(after))
        return after

    async def _settle(self) -> None:
        """Wait for the optics to settle after a change."""
        await asyncio.sleep(self.timing.settle_s)


def _differs(a: tuple, b: tuple, tolerance: float) -> bool:
    """Return whether two values differ by more than the tolerance in any component."""
    return any(abs(x - y) > tolerance for x, y in zip(a, b, strict=True))


def _verify(what: str, requested: tuple, back: tuple, tolerance: float) -> None:
    """Raise ReadbackError if a read-back differs from the request beyond tolerance."""
    if _differs(requested, back, tolerance):
        raise ReadbackError(f"{what}: requested {requested}, read back {back}")


async def _try(read: Callable[[], Awaitable[Any]]) -> Any:
    """Read a value for the audit record, or None when the scope cannot answer."""
    try:
        return await read()
    except ScopeError:
        return None
