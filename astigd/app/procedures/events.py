"""The start event, and compact JSON-ready views of fits and optics for events and results."""

from __future__ import annotations

from typing import Any

from astigd import __version__
from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.params import ProcedureParams
from astigd.drivers.records import OpticsSnapshot
from astigd.workers.fit import ESTIMATOR
from astigd.workers.results import CtfFit

PROCEDURES_VERSION = "1"


def versions() -> dict[str, str]:
    """Return the versions a result depends on: astigd, the CTF estimator, the procedures."""
    return {"astigd": __version__, "estimator": ESTIMATOR, "procedures": PROCEDURES_VERSION}


def snapshot_dict(snapshot: OpticsSnapshot) -> dict[str, Any]:
    """Return an optics snapshot as a flat JSON-ready dict."""
    light = snapshot.illumination
    return {
        "vendor": snapshot.identity.vendor,
        "model": snapshot.identity.model,
        "ht_kv": snapshot.ht_kv,
        "probe_mode": light.probe_mode,
        "alpha": light.alpha,
        "mag_index": snapshot.mag.index,
        "magnification": snapshot.mag.magnification,
        "pixel_size_A": snapshot.mag.pixel_size_A,
        "stig": [snapshot.stig_x, snapshot.stig_y],
        "defocus_nm": snapshot.defocus_nm,
        "beam_tilt_mrad": list(snapshot.beam_tilt_mrad),
        "taken_at": snapshot.taken_at.isoformat(),
    }


def fit_dict(fit: CtfFit) -> dict[str, Any]:
    """Return the fields of a (possibly averaged) fit that events and results carry."""
    return {
        "defocus_mean_nm": fit.defocus_mean_nm,
        "defocus_uncertainty_nm": fit.defocus_uncertainty_nm,
        "astig_nm": fit.astig_nm,
        "angle_deg": fit.angle_deg,
        "astig_vec_nm": [fit.astig_x_nm, fit.astig_y_nm],
        "astig_uncertainty_nm": fit.astig_uncertainty_nm,
        "score": fit.score,
        "resolution_A": fit.resolution_A,
        "reliable": fit.reliable,
        "reason": fit.reason,
        "frames": fit.parameters.get("frames", 1),
        "measurement_ids": fit.parameters.get("measurement_ids", []),
    }


async def announce(ctx: ProcedureContext, name: str, params: ProcedureParams) -> None:
    """Emit the start event: procedure, parameters, versions and the optics at start."""
    payload = {
        "procedure": name,
        "params": params.model_dump(mode="json"),
        "versions": versions(),
        "optics": snapshot_dict(ctx.start_snapshot),
    }
    await ctx.emit("start", payload)


async def warn(ctx: ProcedureContext, message: str, **details: Any) -> None:
    """Emit a warning event."""
    await ctx.emit("warning", {"message": message, **details})
