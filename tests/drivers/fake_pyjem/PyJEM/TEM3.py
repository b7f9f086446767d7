# ruff: noqa: N802, N999
"""Fake ``PyJEM.TEM3``: the real class and method names, raw DAC counts, and replies that are
tuples ending in a status code (0 = success), as JEOL's TEM3 interface returns them.

All handles share one column (``COLUMN``), as on the real TEMCenter. Every call is logged in
``CALLS`` as ``("Unit.Method", *args)``. ``FAULTS`` injects busy replies, hangs and a lost
TEMCenter connection.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field

STATUS_OK = 0
STATUS_BUSY = 1
STATUS_NOT_CONNECTED = 2

MAG_VALUES = (2000, 5000, 10000, 20000, 40000, 60000, 80000, 100000, 150000)


@dataclass
class Column:
    """The state behind every handle, in raw counts."""

    ols: list[int] = field(default_factory=lambda: [32768, 32768])
    cla2: list[int] = field(default_factory=lambda: [32768, 32768])
    olc: int = 32768
    olf: int = 32768
    selector: int = 5
    alpha: int = 3
    ht_volts: float = 300000.0


@dataclass
class Faults:
    """What the next calls will suffer."""

    busy_calls: int = 0
    hang_s: float = 0.0
    connected: bool = True
    release: threading.Event = field(default_factory=threading.Event)


COLUMN = Column()
FAULTS = Faults()
CALLS: list[tuple] = []


def reset() -> None:
    """Restore the power-on column, clear faults and forget calls."""
    FAULTS.release.set()
    COLUMN.__init__()
    FAULTS.__init__()
    CALLS.clear()


def _vendor_call(method):
    """Log the call, then apply a hang, a lost connection or a busy reply."""

    @functools.wraps(method)
    def call(self, *args):
        CALLS.append((f"{type(self).__name__}.{method.__name__}", *args))
        if FAULTS.hang_s:
            hang, FAULTS.hang_s = FAULTS.hang_s, 0.0
            FAULTS.release.wait(hang)
        if not FAULTS.connected:
            return _failed(method, STATUS_NOT_CONNECTED)
        if FAULTS.busy_calls:
            FAULTS.busy_calls -= 1
            return _failed(method, STATUS_BUSY)
        return method(self, *args)

    return call


def _failed(method, status: int):
    """Return a failed reply shaped like the method's normal one."""
    shape = getattr(method, "reply_values", 0)
    return (*([0] * shape), status) if shape else status


def _values(n: int):
    """Mark a getter returning n values before the status code."""

    def mark(method):
        method.reply_values = n
        return method

    return mark


class Def3:
    """Deflectors."""

    @_vendor_call
    @_values(2)
    def GetOLs(self):
        return (*COLUMN.ols, STATUS_OK)

    @_vendor_call
    def SetOLs(self, x: int, y: int):
        COLUMN.ols = [int(x), int(y)]
        return STATUS_OK

    @_vendor_call
    @_values(2)
    def GetCLA2(self):
        return (*COLUMN.cla2, STATUS_OK)

    @_vendor_call
    def SetCLA2(self, x: int, y: int):
        COLUMN.cla2 = [int(x), int(y)]
        return STATUS_OK


class Lens3:
    """Lenses."""

    @_vendor_call
    @_values(1)
    def GetOLc(self):
        return COLUMN.olc, STATUS_OK

    @_vendor_call
    @_values(1)
    def GetOLf(self):
        return COLUMN.olf, STATUS_OK

    @_vendor_call
    def SetOLc(self, value: int):
        COLUMN.olc = int(value)
        return STATUS_OK

    @_vendor_call
    def SetOLf(self, value: int):
        COLUMN.olf = int(value)
        return STATUS_OK


class EOS3:
    """Electron optical system: magnification, alpha, function mode."""

    @_vendor_call
    @_values(1)
    def GetCurrentMagSelectorID(self):
        return COLUMN.selector, STATUS_OK

    @_vendor_call
    def SetSelector(self, index: int):
        if 0 <= index < len(MAG_VALUES):  # out of range: no error, nothing changes (as real)
            COLUMN.selector = int(index)
        return STATUS_OK

    @_vendor_call
    @_values(3)
    def GetMagValue(self):
        value = MAG_VALUES[COLUMN.selector]
        return value, "X", f"X{value}", STATUS_OK

    @_vendor_call
    @_values(2)
    def GetFunctionMode(self):
        return 0, "MAG", STATUS_OK

    @_vendor_call
    @_values(1)
    def GetAlpha(self):
        return COLUMN.alpha, STATUS_OK

    @_vendor_call
    def SetAlphaSelector(self, alpha: int):
        COLUMN.alpha = int(alpha)
        return STATUS_OK


class HT3:
    """High tension."""

    @_vendor_call
    @_values(1)
    def GetHtValue(self):
        return COLUMN.ht_volts, STATUS_OK
