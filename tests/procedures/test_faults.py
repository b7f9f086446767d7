"""A stigmator write that times out mid-correction: the procedure fails cleanly and a restore puts
it all back. (Over HTTP, with the job runner's own restore, in tests/acceptance/test_faults.py.)"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from astigd.app.procedures import correct
from astigd.app.procedures.errors import ProcedureError
from astigd.drivers.errors import ScopeError
from astigd.drivers.simulator.faults import FaultSpec
from tests.procedures.rig import TIMING

pytestmark = pytest.mark.anyio

QUICK_TIMEOUT = replace(TIMING, call_timeout_s=0.3)
PARAMS = correct.CorrectParams(target_resolution_A=2.0, exposure_s=8.0)
STIG_PUT = {"endpoint": "objective_stigmator", "method": "PUT", "after": 1}
TIMEOUT = FaultSpec(kind="timeout", delay_s=2.0, **STIG_PUT)


async def test_a_stigmator_timeout_mid_correction_fails_cleanly_and_restore_leaves_it_as_found(
    make_rig,
) -> None:
    rig = make_rig(timing=QUICK_TIMEOUT)
    await rig.scope.set_defocus_nm(2000.0)
    await rig.save_true_calibration(gain=1.1, turn_deg=10.0)  # so that it takes several moves
    await rig.aim((180.0, -120.0))
    start_nm = rig.astig_truth_nm()
    ctx = await rig.runtime()
    rig.microscope.faults.arm(TIMEOUT)
    with pytest.raises((ProcedureError, ScopeError)):
        await correct.run(ctx, PARAMS)
    assert rig.kinds("move")  # it failed mid-run, after moving
    rig.microscope.faults.clear()  # the fault is over (a held call is released)
    await rig.scope.restore(ctx.start_snapshot)  # what the job runner does on failure
    start = (ctx.start_snapshot.stig_x, ctx.start_snapshot.stig_y)
    assert np.allclose(await rig.scope.get_stigmator(), start, atol=2e-3)
    assert rig.astig_truth_nm() <= start_nm + 4.0
    assert await rig.scope.get_defocus_nm() == ctx.start_snapshot.defocus_nm
