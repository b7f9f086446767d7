"""Optics snapshots as JSON (stored on the job row) and back, for restore after a crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from astigd.app.procedures.events import snapshot_dict
from astigd.drivers.records import Illumination, MagEntry, OpticsSnapshot, ScopeIdentity


def snapshot_to_json(snapshot: OpticsSnapshot) -> dict[str, Any]:
    """Return the snapshot as a JSON-ready dict that `snapshot_from_json` rebuilds exactly."""
    return {**snapshot_dict(snapshot), "mag_mode": snapshot.mag.mode}


def snapshot_from_json(data: dict[str, Any]) -> OpticsSnapshot:
    """Rebuild an OpticsSnapshot from `snapshot_to_json`'s dict."""
    mag = MagEntry(
        int(data["mag_index"]),
        float(data["magnification"]),
        float(data["pixel_size_A"]),
        data.get("mag_mode", ""),
    )
    stig_x, stig_y = (float(value) for value in data["stig"])
    tilt_x, tilt_y = (float(value) for value in data["beam_tilt_mrad"])
    return OpticsSnapshot(
        identity=ScopeIdentity(data["vendor"], data["model"]),
        ht_kv=float(data["ht_kv"]),
        illumination=Illumination(data.get("probe_mode"), data.get("alpha")),
        mag=mag,
        stig_x=stig_x,
        stig_y=stig_y,
        defocus_nm=float(data["defocus_nm"]),
        beam_tilt_mrad=(tilt_x, tilt_y),
        taken_at=datetime.fromisoformat(data["taken_at"]),
    )
