"""The JEOL driver against the fake PyJEM TEM3: the exact vendor calls, in order."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from astigd.drivers.errors import (
    DriverUnavailableError,
    LimitError,
    ReadbackError,
    ScopeBusyError,
    VendorError,
)
from astigd.drivers.jeol import jeol_scope, load_tem3
from astigd.drivers.jeol_units import JeolConfig, JeolUnits
from astigd.drivers.records import Illumination
from tests.drivers.conftest import JEOL_CONFIG
from tests.drivers.rig import FAST

pytestmark = pytest.mark.anyio

FINE_REF = 32768 * 32 + 32768  # eucentric focus of mag indices 0..4 in JEOL_CONFIG


@pytest.fixture
async def jeol(fake_tem3):
    scope = jeol_scope(JEOL_CONFIG, tem3=fake_tem3, timing=FAST)
    fake_tem3.CALLS.clear()
    yield scope
    await scope.close()


def calls_since(tem3, start: int) -> list[tuple]:
    return tem3.CALLS[start:]


async def test_set_stigmator_reads_writes_counts_and_reads_back(jeol, fake_tem3) -> None:
    await jeol.set_stigmator(0.1, 0.05)
    assert fake_tem3.CALLS == [
        ("Def3.GetOLs",),
        ("Def3.SetOLs", 32768 + 3277, 32768 + 1638),
        ("Def3.GetOLs",),
    ]


async def test_stigmator_counts_use_the_configured_neutral_and_span(fake_tem3) -> None:
    config = replace(JEOL_CONFIG, stig_neutral=(30000, 31000), stig_span=20000)
    fake_tem3.COLUMN.ols = [30000, 31000]
    async with jeol_scope(config, tem3=fake_tem3, timing=FAST) as scope:
        assert await scope.get_stigmator() == (0.0, 0.0)
        await scope.set_stigmator(0.2, 0.1)
    assert fake_tem3.COLUMN.ols == [34000, 33000]


async def test_set_defocus_moves_only_the_fine_lens_when_it_can(jeol, fake_tem3) -> None:
    fake_tem3.COLUMN.selector = 2  # 4 nm per fine step, eucentric at FINE_REF
    fake_tem3.CALLS.clear()
    assert await jeol.set_defocus_nm(2000.0) == 2000.0
    assert fake_tem3.CALLS == [
        ("EOS3.GetCurrentMagSelectorID",),
        ("Lens3.GetOLc",),
        ("Lens3.GetOLf",),
        ("Lens3.GetOLc",),
        ("Lens3.SetOLf", 32768 - 500),
        ("EOS3.GetCurrentMagSelectorID",),
        ("Lens3.GetOLc",),
        ("Lens3.GetOLf",),
    ]


async def test_set_defocus_carries_into_the_coarse_lens_when_fine_runs_out(fake_tem3) -> None:
    fake_tem3.COLUMN.selector, fake_tem3.COLUMN.olf = 2, 100
    fake_tem3.COLUMN.olc = 32768 + (32768 - 100) // 32  # near eucentric, fine almost at 0
    async with jeol_scope(JEOL_CONFIG, tem3=fake_tem3, timing=FAST) as scope:
        back = await scope.set_defocus_nm(1000.0)
    column = fake_tem3.COLUMN
    assert ("Lens3.SetOLc", column.olc) in fake_tem3.CALLS
    assert abs(back - 1000.0) <= 2.0
    assert 0 <= column.olf <= 65535


async def test_defocus_sign_weaker_lens_is_underfocus() -> None:
    units = JeolUnits(JEOL_CONFIG)
    assert units.defocus_from_raw((32768, 32768 - 10), 0) == pytest.approx(40.0)
    assert units.defocus_from_raw((32768, 32768 + 10), 0) == pytest.approx(-40.0)


async def test_defocus_at_an_uncalibrated_magnification_is_refused(fake_tem3) -> None:
    config = replace(JEOL_CONFIG, focus_ranges=JEOL_CONFIG.focus_ranges[:1])
    fake_tem3.COLUMN.selector = 7
    async with jeol_scope(config, tem3=fake_tem3, timing=FAST) as scope:
        with pytest.raises(LimitError, match="no focus calibration"):
            await scope.set_defocus_nm(1000.0)
    assert not [c for c in fake_tem3.CALLS if c[0].startswith("Lens3.Set")]


async def test_set_mag_index_selects_and_reads_back(jeol, fake_tem3) -> None:
    assert await jeol.set_mag_index(7) == 7
    assert fake_tem3.CALLS == [
        ("EOS3.GetCurrentMagSelectorID",),
        ("EOS3.SetSelector", 7),
        ("EOS3.GetCurrentMagSelectorID",),
    ]


async def test_ignored_selector_change_is_caught_by_the_readback(fake_tem3) -> None:
    table = JEOL_CONFIG.magnification_table
    config = replace(JEOL_CONFIG, magnification_table=(*table, replace(table[0], index=12)))
    async with jeol_scope(config, tem3=fake_tem3, timing=FAST) as scope:
        with pytest.raises(ReadbackError):
            await scope.set_mag_index(12)  # TEM3 ignores an out-of-range selector silently


async def test_ht_is_reported_in_kv_and_alpha_as_illumination(jeol, fake_tem3) -> None:
    assert await jeol.ht_kv() == 300.0
    assert await jeol.illumination() == Illumination(alpha=3)
    assert fake_tem3.CALLS == [("HT3.GetHtValue",), ("EOS3.GetAlpha",)]


async def test_beam_tilt_uses_cla2_counts(jeol, fake_tem3) -> None:
    await jeol.set_beam_tilt_mrad(0.5, -0.25)
    assert fake_tem3.CALLS[1] == ("Def3.SetCLA2", 32768 + 500, 32768 - 250)


async def test_busy_status_is_retried_on_the_same_call(jeol, fake_tem3) -> None:
    fake_tem3.FAULTS.busy_calls = 2
    assert await jeol.get_mag_index() == 5
    assert fake_tem3.CALLS == [("EOS3.GetCurrentMagSelectorID",)] * 3


async def test_busy_status_beyond_retries_raises(jeol, fake_tem3) -> None:
    fake_tem3.FAULTS.busy_calls = 10
    with pytest.raises(ScopeBusyError, match="status 1"):
        await jeol.get_stigmator()


async def test_unknown_status_code_is_a_vendor_error(fake_tem3) -> None:
    config = replace(JEOL_CONFIG, busy_codes=frozenset({9}))
    fake_tem3.FAULTS.busy_calls = 1  # the fake answers status 1, now not "busy"
    async with jeol_scope(config, tem3=fake_tem3, timing=FAST) as scope:
        with pytest.raises(VendorError, match="Def3.GetOLs returned status 1"):
            await scope.get_stigmator()


async def test_acquire_without_a_camera_is_a_vendor_error(jeol) -> None:
    with pytest.raises(VendorError, match="no camera"):
        await jeol.acquire(0.1)


def test_missing_pyjem_says_it_is_not_on_pypi(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "PyJEM", None)
    with pytest.raises(DriverUnavailableError, match="not on PyPI"):
        load_tem3()
    with pytest.raises(ImportError):
        jeol_scope(JeolConfig())


def test_pyjem_is_imported_lazily() -> None:
    code = "import sys, astigd.drivers.jeol; assert 'PyJEM' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
