"""The conformance suite every scope driver passes (collected by test_conformance_drivers.py).

Each test receives ``scope_rig`` (see ``rig.py``); the rig fixtures live in ``conftest.py``.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import anyio
import numpy as np
import pytest

from astigd.drivers import base
from astigd.drivers.errors import (
    DisconnectedError,
    LimitError,
    ScopeBusyError,
    ScopeTimeoutError,
)
from tests.drivers.rig import ScopeRig

pytestmark = pytest.mark.anyio

STIG_TOL = 1e-4


def close(a, b, tol: float = STIG_TOL) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


async def test_scope_satisfies_every_protocol(scope_rig: ScopeRig) -> None:
    for protocol in (base.OpticalState, base.Stigmator, base.Focus, base.Magnification):
        assert isinstance(scope_rig.scope, protocol)
    assert isinstance(scope_rig.scope, base.BeamTilt | base.Camera)
    assert isinstance(scope_rig.scope, base.Microscope)


async def test_identity_names_vendor_and_model(scope_rig: ScopeRig) -> None:
    identity = await scope_rig.scope.identity()
    assert identity.vendor and identity.model


async def test_stigmator_set_is_read_back_and_reaches_the_vendor(scope_rig: ScopeRig) -> None:
    back = await scope_rig.scope.set_stigmator(0.1, 0.05)
    assert close(back, (0.1, 0.05))
    assert close(await scope_rig.scope.get_stigmator(), (0.1, 0.05))
    assert close(scope_rig.vendor_stigmator(), (0.1, 0.05))


@pytest.mark.parametrize("target", [(0.995, 0.0), (0.0, -1.2), (float("nan"), 0.0)])
async def test_stigmator_beyond_limit_raises_limit_error_and_changes_nothing(
    scope_rig: ScopeRig, target: tuple[float, float]
) -> None:
    scope = scope_rig.scope
    await scope.walk_stigmator(0.9, -0.9)
    writes, audited = len(scope_rig.stigmator_writes()), len(scope_rig.audit)
    with pytest.raises(LimitError):
        await scope.set_stigmator(*target)
    assert close(scope_rig.vendor_stigmator(), (0.9, -0.9))
    assert (len(scope_rig.stigmator_writes()), len(scope_rig.audit)) == (writes, audited)


async def test_stigmator_step_beyond_per_move_maximum_raises_and_changes_nothing(
    scope_rig: ScopeRig,
) -> None:
    step = scope_rig.scope.limits.stig_step_max
    with pytest.raises(LimitError, match="per-move"):
        await scope_rig.scope.set_stigmator(step + 0.01, 0.0)
    assert close(scope_rig.vendor_stigmator(), (0.0, 0.0))
    assert scope_rig.stigmator_writes() == []


async def test_stigmator_moving_down_overshoots_then_approaches_from_below(
    scope_rig: ScopeRig,
) -> None:
    scope = scope_rig.scope
    overshoot = scope.limits.backlash_overshoot
    await scope.set_stigmator(0.1, 0.1)
    before = len(scope_rig.stigmator_writes())
    await scope.set_stigmator(0.05, 0.15)
    writes = scope_rig.stigmator_writes()[before:]
    assert len(writes) == 2
    assert close(writes[0], (0.05 - overshoot, 0.15))
    assert close(writes[1], (0.05, 0.15))


async def test_stigmator_moving_up_goes_straight_to_the_target(scope_rig: ScopeRig) -> None:
    await scope_rig.scope.set_stigmator(0.1, 0.02)
    assert len(scope_rig.stigmator_writes()) == 1
    assert close(scope_rig.stigmator_writes()[0], (0.1, 0.02))


async def test_defocus_is_nm_underfocus_positive_at_the_vendor(scope_rig: ScopeRig) -> None:
    scope, tol = scope_rig.scope, scope_rig.scope.limits.defocus_tolerance_nm
    for target in (1500.0, -300.0, 4321.0):
        back = await scope.set_defocus_nm(target)
        assert abs(back - target) <= tol
        assert abs(scope_rig.vendor_defocus_nm() - target) <= tol
        assert abs(await scope.get_defocus_nm() - back) < 1e-6


@pytest.mark.parametrize("target", [-5000.0, 20000.0, float("inf")])
async def test_defocus_outside_window_raises_limit_error_and_changes_nothing(
    scope_rig: ScopeRig, target: float
) -> None:
    before = await scope_rig.scope.set_defocus_nm(1000.0)
    with pytest.raises(LimitError, match="window"):
        await scope_rig.scope.set_defocus_nm(target)
    assert await scope_rig.scope.get_defocus_nm() == before
    assert len(scope_rig.audit) == 1


async def test_mag_index_set_is_read_back(scope_rig: ScopeRig) -> None:
    for index in scope_rig.mag_indices:
        assert await scope_rig.scope.set_mag_index(index) == index
        assert await scope_rig.scope.get_mag_index() == index


async def test_mag_index_outside_the_table_raises_limit_error(scope_rig: ScopeRig) -> None:
    before = await scope_rig.scope.get_mag_index()
    with pytest.raises(LimitError):
        await scope_rig.scope.set_mag_index(999)
    assert await scope_rig.scope.get_mag_index() == before


async def test_beam_tilt_is_mrad_at_the_vendor(scope_rig: ScopeRig) -> None:
    tol = scope_rig.scope.limits.beam_tilt_tolerance_mrad
    back = await scope_rig.scope.set_beam_tilt_mrad(1.25, -0.5)
    assert close(back, (1.25, -0.5), tol)
    assert close(scope_rig.vendor_beam_tilt_mrad(), (1.25, -0.5), tol)


async def test_beam_tilt_beyond_limit_raises_limit_error(scope_rig: ScopeRig) -> None:
    with pytest.raises(LimitError):
        await scope_rig.scope.set_beam_tilt_mrad(50.0, 0.0)
    assert close(scope_rig.vendor_beam_tilt_mrad(), (0.0, 0.0), 1e-9)


async def test_hanging_vendor_call_raises_typed_timeout_then_recovers(scope_rig: ScopeRig) -> None:
    scope_rig.faults.hang(5.0)
    with pytest.raises(ScopeTimeoutError):
        await scope_rig.scope.get_stigmator()
    with pytest.raises(TimeoutError):  # also a builtin TimeoutError
        scope_rig.faults.hang(5.0)
        await scope_rig.scope.get_mag_index()
    scope_rig.faults.clear()
    await anyio.sleep(0.05)
    assert close(await scope_rig.scope.get_stigmator(), (0.0, 0.0))


async def test_transient_busy_is_retried(scope_rig: ScopeRig) -> None:
    scope_rig.faults.busy(scope_rig.scope.timing.busy_retries)
    assert close(await scope_rig.scope.set_stigmator(0.05, 0.05), (0.05, 0.05))


async def test_persistent_busy_raises_busy_error(scope_rig: ScopeRig) -> None:
    scope_rig.faults.busy(100)
    with pytest.raises(ScopeBusyError):
        await scope_rig.scope.get_stigmator()


async def test_lost_connection_raises_disconnected_error(scope_rig: ScopeRig) -> None:
    scope_rig.faults.disconnect()
    with pytest.raises(DisconnectedError):
        await scope_rig.scope.get_defocus_nm()
    with pytest.raises(ConnectionError):
        await scope_rig.scope.set_stigmator(0.01, 0.01)
    scope_rig.faults.clear()
    assert await scope_rig.scope.get_mag_index() in range(1000)


async def test_restore_returns_every_optic_to_the_snapshot(scope_rig: ScopeRig) -> None:
    scope, limits = scope_rig.scope, scope_rig.scope.limits
    await scope.set_mag_index(scope_rig.mag_indices[0])
    await scope.set_defocus_nm(800.0)
    await scope.walk_stigmator(-0.3, 0.2)
    start = await scope.snapshot()
    await scope.set_mag_index(scope_rig.mag_indices[1])
    await scope.set_defocus_nm(3000.0)
    await scope.set_beam_tilt_mrad(2.0, 1.0)
    await scope.walk_stigmator(0.6, -0.5)
    await scope.restore(start)
    end = await scope.snapshot()
    assert end.mag == start.mag and end.optics_key == start.optics_key
    assert abs(end.defocus_nm - start.defocus_nm) <= limits.defocus_tolerance_nm
    assert close((end.stig_x, end.stig_y), (start.stig_x, start.stig_y))
    assert close(end.beam_tilt_mrad, start.beam_tilt_mrad, limits.beam_tilt_tolerance_mrad)


async def test_restore_never_exceeds_the_per_move_step(scope_rig: ScopeRig) -> None:
    scope = scope_rig.scope
    start = await scope.snapshot()
    await scope.walk_stigmator(0.7, -0.7)
    await scope.restore(start)
    moves = [r for r in scope_rig.audit if r.what == "stigmator"]
    assert all(
        max(abs(a - b) for a, b in zip(r.before, r.requested, strict=True))
        <= scope.limits.stig_step_max + 1e-9
        for r in moves
    )


async def test_optics_key_matches_the_snapshot(scope_rig: ScopeRig) -> None:
    key = await scope_rig.scope.optics_key()
    snapshot = await scope_rig.scope.snapshot()
    assert key == snapshot.optics_key
    assert key.ht_kv > 0 and (key.illumination.probe_mode or key.illumination.alpha is not None)


async def test_acquire_returns_frame_with_binned_pixel_size_utc_time_and_optics(
    scope_rig: ScopeRig,
) -> None:
    scope = scope_rig.scope
    await scope.set_mag_index(scope_rig.mag_indices[1])
    frame = await scope.acquire(0.01, binning=2)
    assert isinstance(frame.image, np.ndarray) and frame.image.ndim == 2
    assert frame.optics.mag.index == scope_rig.mag_indices[1]
    assert frame.pixel_size_A == pytest.approx(2 * frame.optics.mag.pixel_size_A)
    assert frame.acquired_at.utcoffset() == timedelta(0) and frame.acquired_at.tzinfo is UTC


async def test_acquire_refuses_bad_exposure(scope_rig: ScopeRig) -> None:
    with pytest.raises(LimitError):
        await scope_rig.scope.acquire(0.0)
    with pytest.raises(LimitError):
        await scope_rig.scope.acquire(1.0, binning=0)


async def test_every_optics_change_is_audited_with_before_and_after(scope_rig: ScopeRig) -> None:
    scope = scope_rig.scope
    await scope.set_stigmator(0.02, 0.03)
    await scope.set_defocus_nm(1200.0)
    await scope.set_mag_index(scope_rig.mag_indices[1])
    await scope.set_beam_tilt_mrad(0.5, 0.25)
    records = scope_rig.audit
    assert [r.what for r in records] == ["stigmator", "defocus_nm", "mag_index", "beam_tilt_mrad"]
    assert close(records[0].before, (0.0, 0.0)) and close(records[0].after, (0.02, 0.03))
    assert records[2].after == scope_rig.mag_indices[1]
    assert all(r.at.tzinfo is UTC and r.error is None for r in records)
