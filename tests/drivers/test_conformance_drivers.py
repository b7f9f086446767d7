"""Run the conformance suite against every rig registered in conftest.SCOPE_RIGS."""

from tests.drivers.conformance import *  # noqa: F403
