"""The start snapshot stored on a job rebuilds the exact OpticsSnapshot; thermo addresses parse."""

from __future__ import annotations

import json

import pytest

from astigd.app.scopes.registry import host_port
from astigd.app.scopes.snapshots import snapshot_from_json, snapshot_to_json
from astigd.drivers.simulator.connect import simulated_scope

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_stored_snapshot_rebuilds_the_same_optics_snapshot() -> None:
    async with simulated_scope() as scope:
        await scope.walk_stigmator(0.12, -0.07)
        await scope.set_defocus_nm(1800.0)
        snapshot = await scope.snapshot()
    stored = json.loads(json.dumps(snapshot_to_json(snapshot)))
    assert snapshot_from_json(stored) == snapshot


@pytest.mark.parametrize(
    ("address", "expected"),
    [("http://scope-pc:8081", ("scope-pc", 8081)), ("10.0.0.5:9000", ("10.0.0.5", 9000)),
     ("scope-pc", ("scope-pc", 8080))],
)  # fmt: skip
async def test_thermo_addresses_give_host_and_port(address, expected) -> None:
    assert host_port(address) == expected
