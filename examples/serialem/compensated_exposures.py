"""SerialEM script: before each exposure, set the stigmators astigd predicts for its defocus.

astigd keeps today's lens slope K and stigmator response; this asks it for the stigmator
setting at each target defocus (dynamic compensation), sets focus and stigmators with SerialEM,
then records. When astigd refuses (no calibration, stale, another magnification) the reason is
echoed and the stigmators are left as they are.

Run it from SerialEM's Python (it needs only `astigd.client`, httpx and websockets). Settings:
ASTIGD_URL, ASTIGD_KEY (a key with the read scope), ASTIGD_SCOPE, ASTIGD_TARGETS_UM.
"""

import os

import serialem as sem

from astigd.client import ApiError, AstigdClient

ASTIGD_URL = os.environ.get("ASTIGD_URL", "http://astigd.example.org:8040")
ASTIGD_KEY = os.environ.get("ASTIGD_KEY")
SCOPE_ID = os.environ.get("ASTIGD_SCOPE", "krios1")
# SerialEM's sign: negative is underfocus. astigd's defocus_nm is underfocus positive.
TARGETS_UM = [float(v) for v in os.environ.get("ASTIGD_TARGETS_UM", "-1.0,-2.0,-3.0").split(",")]


def expose_at(astigd: AstigdClient, defocus_um: float) -> None:
    """Set focus and the compensated stigmators for one exposure, then record."""
    try:
        plan = astigd.compensation(SCOPE_ID, defocus_nm=-1000.0 * defocus_um)
    except ApiError as refusal:
        sem.Echo(f"astigd: no compensation at {defocus_um} um: {refusal.message}")
        plan = None
    sem.SetDefocus(defocus_um)
    if plan is not None:
        sem.SetObjectiveStigmator(plan.stig_x, plan.stig_y)
        sem.Echo(f"astigd: {defocus_um} um -> stigmator {plan.stig_x:.4f} {plan.stig_y:.4f}")
    sem.Record()


def main() -> None:
    """Take one compensated exposure per target defocus."""
    with AstigdClient(ASTIGD_URL, ASTIGD_KEY) as astigd:
        for defocus_um in TARGETS_UM:
            expose_at(astigd, defocus_um)


main()
