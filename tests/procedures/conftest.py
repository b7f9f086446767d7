"""Fixtures: a thread-pool fitter, the test database with the `sim` scope, simulated rigs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from astigd.app.db.engine import make_session_factory
from astigd.app.db.models import Scope as ScopeRow
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.connect import simulated_scope
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.workers.pool import create_executor
from tests.api.conftest import SIMULATED_DATE
from tests.procedures.rig import SCOPE_ID, TIMING, Rig


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def executor():
    pool = create_executor("thread", workers=1)
    yield pool
    pool.shutdown()


@pytest.fixture
def sessions(db_url, database_engine):
    factory = make_session_factory(database_engine)
    with factory() as session:
        session.add(ScopeRow(id=SCOPE_ID, driver="simulator"))
        session.commit()
    return factory


def config(seed: int = 5, **changes) -> SimulatorConfig:
    return SimulatorConfig(seed=seed, date=SIMULATED_DATE, timing=Timing(time_scale=0.0), **changes)


@pytest.fixture
async def make_rig(sessions, executor) -> AsyncIterator[Callable[..., Rig]]:
    """Build rigs: make_rig(config, declare_aniso=True, timing=TIMING); closed at the end."""
    rigs: list[Rig] = []

    def build(sim_config: SimulatorConfig | None = None, declare_aniso: bool = True, timing=TIMING):
        microscope = SimulatedMicroscope(sim_config or config())
        scope = simulated_scope(microscope, timing=timing)
        rigs.append(Rig(microscope, scope, sessions, executor))
        rigs[-1].declare_aniso(declare_aniso)
        return rigs[-1]

    yield build
    for rig in rigs:
        rig.microscope.faults.clear()
        await rig.scope.close()
