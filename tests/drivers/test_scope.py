"""The guarded Scope, driven through a scripted backend (exact vendor calls, in order)."""

from __future__ import annotations

import time
from dataclasses import replace

import anyio
import pytest

from astigd.drivers.errors import (
    LimitError,
    ReadbackError,
    ScopeBusyError,
    ScopeTimeoutError,
    VendorError,
)
from astigd.drivers.limits import ScopeLimits
from astigd.drivers.records import AuditRecord, MagEntry
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.connect import simulated_scope
from astigd.drivers.simulator.faults import FaultSpec
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from tests.drivers.protocol import expected_protocol
from tests.drivers.rig import FAST

pytestmark = pytest.mark.anyio


async def test_stigmator_moving_up_reads_writes_and_reads_back() -> None:
    script = [
        ("get_stigmator", (), (0.0, 0.0)),
        ("set_stigmator", ((0.1, 0.05),), None),
        ("get_stigmator", (), (0.1, 0.05)),
    ]
    async with expected_protocol(script) as scope:
        assert await scope.set_stigmator(0.1, 0.05) == (0.1, 0.05)


async def test_stigmator_moving_down_overshoots_below_then_comes_back() -> None:
    script = [
        ("get_stigmator", (), (0.2, 0.2)),
        ("set_stigmator", ((0.08, 0.25),), None),
        ("get_stigmator", (), (0.08, 0.25)),
        ("set_stigmator", ((0.1, 0.25),), None),
        ("get_stigmator", (), (0.1, 0.25)),
    ]
    async with expected_protocol(script) as scope:
        assert await scope.set_stigmator(0.1, 0.25) == (0.1, 0.25)


async def test_stigmator_approach_from_above_overshoots_above() -> None:
    limits = ScopeLimits(backlash_approach="above", backlash_overshoot=0.25)
    script = [
        ("get_stigmator", (), (0.25, -0.125)),
        ("set_stigmator", ((0.625, -0.125),), None),
        ("get_stigmator", (), (0.625, -0.125)),
        ("set_stigmator", ((0.375, -0.125),), None),
        ("get_stigmator", (), (0.375, -0.125)),
    ]
    async with expected_protocol(script, limits=limits) as scope:
        await scope.set_stigmator(0.375, -0.125)


async def test_overshoot_is_clipped_to_the_stigmator_limit() -> None:
    script = [
        ("get_stigmator", (), (-0.8, 0.0)),
        ("set_stigmator", ((-0.99, 0.0),), None),
        ("get_stigmator", (), (-0.99, 0.0)),
        ("set_stigmator", ((-0.98, 0.0),), None),
        ("get_stigmator", (), (-0.98, 0.0)),
    ]
    async with expected_protocol(script) as scope:
        await scope.set_stigmator(-0.98, 0.0)


async def test_readback_mismatch_raises_and_is_audited_with_the_actual_value() -> None:
    audit: list[AuditRecord] = []
    script = [
        ("get_stigmator", (), (0.0, 0.0)),
        ("set_stigmator", ((0.1, 0.1),), None),
        ("get_stigmator", (), (0.1, 0.0)),
        ("get_stigmator", (), (0.1, 0.0)),
    ]
    async with expected_protocol(script, audit) as scope:
        with pytest.raises(ReadbackError):
            await scope.set_stigmator(0.1, 0.1)
    (record,) = audit
    assert (record.before, record.after, record.requested) == ((0.0, 0.0), (0.1, 0.0), (0.1, 0.1))
    assert "read back" in record.error


async def test_limits_are_checked_before_any_vendor_call() -> None:
    async with expected_protocol([]) as scope:
        with pytest.raises(LimitError):
            await scope.set_defocus_nm(1e6)
        with pytest.raises(LimitError):
            await scope.set_beam_tilt_mrad(0.0, -99.0)
        with pytest.raises(LimitError):
            await scope.acquire(-1.0)


async def test_step_limit_reads_the_current_value_but_writes_nothing() -> None:
    script = [("get_stigmator", (), (0.0, 0.0))]
    async with expected_protocol(script) as scope:
        with pytest.raises(LimitError, match="per-move"):
            await scope.set_stigmator(0.0, 0.5)


async def test_busy_reply_is_retried_after_a_backoff() -> None:
    script = [
        ("get_mag_index", (), ScopeBusyError("busy")),
        ("get_mag_index", (), ScopeBusyError("busy")),
        ("get_mag_index", (), 7),
    ]
    async with expected_protocol(script) as scope:
        assert await scope.get_mag_index() == 7


async def test_busy_beyond_the_retries_raises_busy_error() -> None:
    script = [("get_mag_index", (), ScopeBusyError("busy"))] * (FAST.busy_retries + 1)
    async with expected_protocol(script) as scope:
        with pytest.raises(ScopeBusyError):
            await scope.get_mag_index()


async def test_untyped_vendor_exception_becomes_vendor_error() -> None:
    script = [("get_ht_kv", (), KeyError("HT"))]
    async with expected_protocol(script) as scope:
        with pytest.raises(VendorError, match="get_ht_kv"):
            await scope.ht_kv()


async def test_a_slow_vendor_call_times_out_with_a_typed_error() -> None:
    timing = replace(FAST, call_timeout_s=0.05)

    class Slow:
        def get_mag_index(self) -> int:
            time.sleep(0.2)
            return 1

        def close(self) -> None:
            pass

    async with expected_protocol([], timing=timing) as scope:
        scope._backend = Slow()
        with pytest.raises(ScopeTimeoutError, match="0.05 s"):
            await scope.get_mag_index()


async def test_each_move_waits_for_the_settle_delay() -> None:
    timing = replace(FAST, settle_s=0.1)
    script = [
        ("get_mag_index", (), 3),
        ("get_defocus", (), 0.0),
        ("set_defocus", (1000.0,), None),
        ("get_mag_index", (), 3),
        ("get_defocus", (), 1000.0),
    ]
    async with expected_protocol(script, timing=timing) as scope:
        start = time.monotonic()
        await scope.set_defocus_nm(1000.0)
        assert time.monotonic() - start >= 0.1


async def test_magnification_table_is_read_once_and_validates_indices() -> None:
    table = [MagEntry(1, 5000.0, 20.0), MagEntry(2, 10000.0, 10.0)]
    script = [
        ("magnification_table", (), table),
        ("get_mag_index", (), 1),
        ("set_mag_index", (2,), None),
        ("get_mag_index", (), 2),
    ]
    async with expected_protocol(script) as scope:
        assert await scope.set_mag_index(2) == 2
        with pytest.raises(LimitError, match="not in the magnification table"):
            await scope.set_mag_index(3)


async def test_a_failing_audit_hook_does_not_fail_the_move(caplog) -> None:
    def broken(record: AuditRecord) -> None:
        raise RuntimeError("database down")

    script = [
        ("get_beam_tilt", (), (0.0, 0.0)),
        ("set_beam_tilt", ((1.0, 0.0),), None),
        ("get_beam_tilt", (), (1.0, 0.0)),
    ]
    async with expected_protocol(script) as scope:
        scope._audit = broken
        assert await scope.set_beam_tilt_mrad(1.0, 0.0) == (1.0, 0.0)
    assert "audit hook failed" in caplog.text


async def test_restore_skips_optics_already_in_place() -> None:
    script = [
        ("identity", (), "scope"),
        ("get_ht_kv", (), 300.0),
        ("get_illumination", (), None),
        ("get_mag_index", (), 1),
        ("magnification_table", (), [MagEntry(1, 5000.0, 20.0)]),
        ("get_stigmator", (), (0.1, 0.1)),
        ("get_mag_index", (), 1),
        ("get_defocus", (), 900.0),
        ("get_beam_tilt", (), (0.0, 0.0)),
        ("get_mag_index", (), 1),
        ("get_mag_index", (), 1),
        ("get_defocus", (), 901.0),
        ("get_beam_tilt", (), (0.0, 0.0)),
        ("get_stigmator", (), (0.1, 0.1)),
    ]
    async with expected_protocol(script) as scope:
        await scope.restore(await scope.snapshot())


@pytest.mark.parametrize("patience_s", [0.0, 5.0])
async def test_restore_starts_over_when_a_call_times_out_and_the_scope_answers_late(
    patience_s: float,
) -> None:
    timing = replace(FAST, call_timeout_s=0.25, restore_patience_s=patience_s)
    microscope = SimulatedMicroscope(SimulatorConfig(seed=3, timing=Timing(time_scale=0.0)))
    scope = simulated_scope(microscope, timing=timing)
    try:
        start = await scope.snapshot()
        await scope.set_stigmator(0.1, -0.05)
        late = FaultSpec(kind="timeout", endpoint="objective_stigmator", method="GET", delay_s=0.8)
        microscope.faults.arm(late)
        if patience_s == 0.0:
            with pytest.raises(ScopeTimeoutError):
                await scope.restore(start)
        else:
            await scope.restore(start)
            assert await scope.get_stigmator() == (start.stig_x, start.stig_y)
    finally:
        microscope.faults.clear()
        await scope.close()


async def test_a_cancelled_move_is_still_audited() -> None:
    audit: list[AuditRecord] = []
    timing = replace(FAST, settle_s=5.0)
    script = [
        ("get_stigmator", (), (0.0, 0.0)),
        ("set_stigmator", ((0.1, 0.1),), None),
        ("get_stigmator", (), (0.1, 0.1)),
    ]
    async with expected_protocol(script, audit, timing=timing) as scope:
        with anyio.move_on_after(0.2):
            await scope.set_stigmator(0.1, 0.1)  # cancelled while settling
    (record,) = audit
    assert (record.requested, record.after, record.error) == ((0.1, 0.1), None, "cancelled")
