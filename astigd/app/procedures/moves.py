"""Moves a procedure makes, each reported as a `move` event; stigmators are range-checked first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.errors import ProcedureError
from astigd.app.procedures.events import snapshot_dict
from astigd.drivers.limits import ScopeLimits
from astigd.drivers.records import OpticsSnapshot

DEFOCUS_SAME_NM = 0.5


def stig_limit(scope: Any) -> float:
    """Return the largest |stigmator| the scope allows (its guard's limit, else the default)."""
    return getattr(getattr(scope, "limits", None), "stig_abs_max", ScopeLimits().stig_abs_max)


def check_stig_range(scope: Any, target: tuple[float, float], why: str) -> None:
    """Refuse, before anything moves, a stigmator setting beyond the scope's range."""
    limit = stig_limit(scope)
    if not all(np.isfinite(target)) or max(abs(target[0]), abs(target[1])) > limit:
        raise ProcedureError(
            f"{why} needs the stigmators at ({target[0]:+.3f}, {target[1]:+.3f}), beyond "
            f"±{limit}: the astigmatism is outside the stigmators' range; nothing was moved"
        )


async def move_stigmator(
    ctx: ProcedureContext, target: Any, why: str, **details: Any
) -> tuple[float, float]:
    """Walk the stigmators to a target within the per-move limit; return the read-back."""
    target = (float(target[0]), float(target[1]))
    check_stig_range(ctx.scope, target, why)
    before = await ctx.scope.get_stigmator()
    walk = getattr(ctx.scope, "walk_stigmator", None)
    after = await (walk(*target) if walk else ctx.scope.set_stigmator(*target))
    payload = {"what": "stigmator", "from": before, "to": after, "why": why, **details}
    await ctx.emit("move", payload)
    return after


async def set_defocus(ctx: ProcedureContext, defocus_nm: float, why: str) -> float:
    """Set the defocus (nm, underfocus positive) unless it is already there; return it."""
    before = await ctx.scope.get_defocus_nm()
    if abs(before - defocus_nm) < DEFOCUS_SAME_NM:
        return before
    after = await ctx.scope.set_defocus_nm(defocus_nm)
    await ctx.emit("move", {"what": "defocus_nm", "from": before, "to": after, "why": why})
    return after


async def set_mag(ctx: ProcedureContext, index: int, why: str) -> int:
    """Select a magnification index unless it is already selected; return it."""
    before = await ctx.scope.get_mag_index()
    if before == index:
        return before
    after = await ctx.scope.set_mag_index(index)
    await ctx.emit("move", {"what": "mag_index", "from": before, "to": after, "why": why})
    return after


async def return_to(
    ctx: ProcedureContext, snapshot: OpticsSnapshot, why: str, stig: Any | None = None
) -> None:
    """Restore magnification, defocus and beam tilt of a snapshot, with the given stigmators."""
    if stig is not None:
        snapshot = replace(snapshot, stig_x=float(stig[0]), stig_y=float(stig[1]))
    await ctx.scope.restore(snapshot)
    await ctx.emit("move", {"what": "restore", "to": snapshot_dict(snapshot), "why": why})
