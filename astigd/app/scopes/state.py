"""Read a scope's live optical state for the state endpoint."""

from __future__ import annotations

from typing import Any

from astigd.drivers.scope import Scope


async def live_state(scope: Scope) -> dict[str, Any]:
    """Return HT, magnification, probe mode or alpha, defocus and stigmators, read now."""
    snapshot = await scope.snapshot()
    light = snapshot.illumination
    return {
        "ht_kv": snapshot.ht_kv,
        "mag_index": snapshot.mag.index,
        "magnification": snapshot.mag.magnification,
        "pixel_size_A": snapshot.mag.pixel_size_A,
        "probe_mode": light.probe_mode,
        "alpha": light.alpha,
        "defocus_nm": snapshot.defocus_nm,
        "stig_x": snapshot.stig_x,
        "stig_y": snapshot.stig_y,
        "beam_tilt_mrad": list(snapshot.beam_tilt_mrad),
        "read_at": snapshot.taken_at,
    }
